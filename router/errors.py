"""Errors Tandem raises, each saying what the user can do next."""

from __future__ import annotations


class TandemError(Exception):
    """Base class: a message for the user plus a hint for what to do next."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class ConfigError(TandemError):
    """The configuration file is invalid."""


class ModelNotFoundError(TandemError):
    """A model file or model name could not be found."""


class ModelFormatError(TandemError):
    """A file is not a usable GGUF model (wrong format or truncated)."""


class ModelLoadError(TandemError):
    """llama.cpp refused to load a model file."""


class BundledModelMissingError(ModelNotFoundError):
    """The bundled default model's packages are not installed."""


class ModelDownloadError(TandemError):
    """A model could not be downloaded (offline, unknown repo or file)."""


class EmptyPromptError(TandemError):
    """The user sent an empty message."""


class PromptTooLongError(TandemError):
    """The prompt does not fit in the model's context window."""


class EgressBlockedError(TandemError):
    """An outbound request contained data a privacy rule keeps on the device."""


class EndpointError(TandemError):
    """An endpoint failed while serving a turn."""


class LocalModelCrashedError(EndpointError):
    """The local model's worker process died (native crash, out of memory) or hung."""


class EndpointRequestError(EndpointError):
    """The endpoint refused the request itself (bad key, malformed request): retrying won't help."""

    def __init__(self, message: str, hint: str = "", *, status: int | None = None) -> None:
        super().__init__(message, hint)
        self.status = status


class EndpointUnavailableError(EndpointError):
    """The endpoint could not serve now (unreachable, timed out, overloaded, 429/5xx).

    Worth retrying after a pause, or falling back to another endpoint.
    """

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        connect_failed: bool = False,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.retry_after_s = retry_after_s
        self.connect_failed = connect_failed
        """True when no connection could be made at all: the network or host is down."""
