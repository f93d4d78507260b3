"""The stages of one chat turn, split by concern; `router.turn.pipeline.TurnPipeline` joins them."""
