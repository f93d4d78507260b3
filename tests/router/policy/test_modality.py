"""Attachment selection: relevance, cost and privacy."""

from __future__ import annotations

import numpy as np

from router.policy.estimate import Weights
from router.policy.features import AttachmentInfo
from router.policy.modality import relevance, select_attachments
from router.types import Attachment
from tests.router.policy.helpers import endpoints, features_for, request


def _photo(name: str, size: int = 400_000) -> Attachment:
    return Attachment(name=name, mime_type="image/jpeg", size_bytes=size)


def test_relevant_view_is_chosen_and_the_costly_one_dropped() -> None:
    views = [
        _photo("front_view.jpg"),
        _photo("rear_bumper_closeup.jpg"),
        _photo("rear_bumper_wide.jpg", size=5_000_000),
    ]
    eps = endpoints()
    feats = features_for(request("Is there a scratch on the rear bumper?", views), eps)
    cloud = feats.endpoints["claude"]
    generous = select_attachments(
        feats, cloud, "Is there a scratch on the rear bumper?", Weights(1.0)
    )
    assert generous.sent == ("rear_bumper_closeup.jpg", "rear_bumper_wide.jpg")
    # At a low willingness to pay the 1,600-token wide shot is not worth its price.
    frugal = select_attachments(
        feats, cloud, "Is there a scratch on the rear bumper?", Weights(0.008)
    )
    assert frugal.sent == ("rear_bumper_closeup.jpg",)
    assert set(frugal.dropped) == {"front_view.jpg", "rear_bumper_wide.jpg"}


def test_without_any_relevance_signal_everything_that_fits_is_sent() -> None:
    files = [_photo("IMG_0001.jpg"), _photo("IMG_0002.jpg")]
    feats = features_for(request("what do you see?", files), endpoints())
    chosen = select_attachments(feats, feats.endpoints["claude"], "what do you see?", Weights())
    assert chosen.sent == ("IMG_0001.jpg", "IMG_0002.jpg") and chosen.note == ""


def test_what_does_not_fit_the_window_is_dropped() -> None:
    files = [
        Attachment(name="big_log.txt", mime_type="text/plain", size_bytes=100_000),
        Attachment(name="small_log.txt", mime_type="text/plain", size_bytes=1_000),
    ]
    feats = features_for(request("what does the log say?", files), endpoints())
    chosen = select_attachments(
        feats, feats.endpoints["local"], "what does the log say?", Weights()
    )
    assert chosen.sent == ("small_log.txt",)


def test_kept_local_attachments_never_go_off_the_device() -> None:
    feats = features_for(
        request("compare the rear bumper photos", [_photo("rear_bumper.jpg")]), endpoints()
    )
    private = AttachmentInfo(
        "rear_bumper.jpg", "image", 1, 100, kept_local=True, excerpt="rear bumper"
    )
    feats = type(feats)(**{**feats.__dict__, "attachments": (private,)})
    remote = select_attachments(feats, feats.endpoints["claude"], "rear bumper", Weights())
    assert remote.sent == () and remote.dropped == ("rear_bumper.jpg",)
    local = select_attachments(feats, feats.endpoints["local"], "rear bumper", Weights())
    assert local.sent == ("rear_bumper.jpg",)


def test_text_attachment_relevance_reads_its_opening(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = tmp_path / "a.txt"
    a.write_text("Quarterly revenue grew by twelve percent.")
    b = tmp_path / "b.txt"
    b.write_text("The cat sat on the mat.")
    files = [
        Attachment(name="a.txt", mime_type="text/plain", size_bytes=40, path=str(a)),
        Attachment(name="b.txt", mime_type="text/plain", size_bytes=24, path=str(b)),
    ]
    feats = features_for(request("how much did revenue grow?", files), endpoints())
    scores = relevance("how much did revenue grow?", feats.attachments)
    assert scores[0] > scores[1] == 0.0


def test_embedding_relevance_uses_cosine_similarity() -> None:
    class Embedder:
        def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
            return np.array(
                [[1.0, 0.0] if "bumper" in t else [0.0, 1.0] for t in texts], dtype=np.float32
            )

    infos = [
        AttachmentInfo("rear_bumper.jpg", "image", 1, 100, excerpt="rear bumper"),
        AttachmentInfo("sky.jpg", "image", 1, 100, excerpt="sky"),
    ]
    assert relevance("the bumper", infos, Embedder()) == [1.0, 0.0]
