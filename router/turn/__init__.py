"""The stages of one chat turn, split by concern; `router.session.TurnPipeline` joins them."""
