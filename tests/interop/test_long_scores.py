"""A score value longer than a verdict label: a cut, still distinct label and the full value."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.interop.conftest import Logs
from tests.interop.test_bad_logs import _rewrite

from safetyloop.interop import import_inspect
from safetyloop.store import Store


def test_a_score_value_over_32_characters_is_imported_with_a_cut_label_and_the_full_value(
    logs: Logs, tmp_path: Path
) -> None:
    import zipfile_zstd  # noqa: F401  (reads Inspect's zstd members)

    long = "the answer given was " + "very " * 20
    with zipfile.ZipFile(logs.tools_eval) as zf:
        names = sorted(n for n in zf.namelist() if n.startswith("samples/"))[:2]
        samples = {n: json.loads(zf.read(n)) for n in names}
    for i, sample in enumerate(samples.values()):
        sample["scores"]["match"]["value"] = f"{long}{i}"  # same first 23 characters
    _rewrite(logs.tools_eval, {n: json.dumps(s).encode() for n, s in samples.items()})
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        (done,) = import_inspect([logs.tools_eval], store)
        verdicts = store.scores(done.run.id, done.run.scorer_versions["inspect:match"])
        results = store.results(done.run.id)
    keys = [f"inspect:arithmetic_tools/{s['id']}#{s['epoch']}" for s in samples.values()]
    cut = [verdicts[k] for k in keys]
    assert all(len(v.label) == 32 and v.label.startswith(long[:23]) for v in cut)
    assert cut[0].label != cut[1].label
    for i, (key, verdict) in enumerate(zip(keys, cut, strict=True)):
        assert verdict.explanation.startswith(f"full value: {long}{i}")
        assert results[key].metadata["inspect"]["scores"]["match"]["value"] == f"{long}{i}"
