#!/usr/bin/env python3
"""Writes evals/llm-recorded.jsonl: the answers the fake model replays in CI
(tests/llm_eval.rs) for every case of evals/planner.jsonl.

No real model can be reached where this was written, so these are NOT recordings of a model:
each answer is the expected plan in the model's wire schema (PlanDto), with deterministic
faults mixed in so the pipeline's failure paths are measured too:
  - every 11th case (index % 11 == 5): a hallucinated kind -> fails validation twice -> rephrase;
  - every 17th case (index % 17 == 3): prose instead of JSON -> the provider counts as failed.
The rules+LLM figure against these fakes therefore measures routing, schema, parsing and
validation, not a model's understanding. Replace this file with real recordings
(`"answer"` = the model's JSON) to measure a model.
"""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["kind", "name", "namespace", "all_namespaces", "selector", "replicas", "image",
          "container", "tail", "previous", "revision"]

def dto(action):
    out = {f: None for f in FIELDS}
    out["verb"] = action["verb"].replace("-", "_").replace("create_job", "get")
    params = action.get("params", {})
    out["kind"] = action.get("kind") or params.get("resource")
    out["name"] = action.get("name")
    ns = action.get("namespace")
    out["namespace"] = None if ns in (None, "payments") else ns
    for k in ("replicas", "image", "tail", "previous", "selector"):
        if k in params:
            out[k] = params[k]
    if "to_revision" in params:
        out["revision"] = params["to_revision"]
    return out

def main():
    cases = [json.loads(l) for l in open(os.path.join(HERE, "planner.jsonl"))
             if l.strip() and not l.startswith("#")]
    with open(os.path.join(HERE, "llm-recorded.jsonl"), "w") as f:
        for i, c in enumerate(cases):
            e = c["expect"]
            if i % 17 == 3:
                rec = {"utterance": c["utterance"], "raw": "Sure! I would be glad to help with that."}
            elif e["outcome"] == "plan":
                actions = [dto(a) for a in e["actions"]]
                if i % 11 == 5:
                    actions[0]["kind"] = "deploymentz"
                rec = {"utterance": c["utterance"],
                       "answer": {"outcome": "plan", "message": c["utterance"], "actions": actions}}
            else:
                rec = {"utterance": c["utterance"],
                       "answer": {"outcome": e["outcome"], "message": "Which object, and what should change?"
                                  if e["outcome"] == "clarify" else "kubechat does not do that.",
                                  "actions": []}}
            f.write(json.dumps(rec) + "\n")

main()
