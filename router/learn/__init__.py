"""Learning to collaborate: routers trained on profiled data, and budgeted sequential routing.

- `profile`: the JSONL profile format (one prompt, every endpoint's quality/latency/cost);
  `profiler` writes one from the user's endpoints, `datasets` / `m4a1` from public data.
- `train` fits single-turn routers (logistic, MLP, matrix factorisation, kNN) with numpy;
  `artifact` saves them and loads them numpy-only (`load_router`); `metrics` and
  `evaluation` score them with RouteLLM's APGR and CPT.
- `m4a1` simulates every route of every M4A1 turn; `budget_env` plays budgeted
  conversations; `budget_plan` solves the budget-aware plan (value iteration over
  the remaining latency and money), `budget_tune` cross-validates its risk penalty,
  `budget_rl` trains it (with optional policy-gradient weights), `budget_policy` is
  the policy itself and `budget_artifact` its file; `baselines` holds the rest. The
  plan's run-time part (value tables, file reader) is router/policy/budget_planner.py,
  which the chat's `budget` policy uses; `budget_chat` plays that chat policy in the
  simulator and `budget_compare` sets it against the baselines.
- `report` / `report_table` run everything and print the goal table (`tandem router report`).
"""
