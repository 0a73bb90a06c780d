#!/usr/bin/env python3
"""The obvious alternative to Chorus's analysis, for benches/analysis.sh to time.

Reads a Chorus raw-data CSV export and the campaign definition (surveys/<campaign>/),
then does the same computations as `chorus analyse` with pandas + scipy:
respondent-level scores (second level = mean of answered items on 0-100 with reverse
items flipped, kept when at least `min_item_share` of the items were answered; first
level and composite = weighted means re-normalised over what the respondent has),
n / mean / SD / t-based 95% CI per group and indicator, Cronbach's alpha per group and
second-level scale (listwise), Welch t-tests between every pair of groups per
indicator, and means per breakdown attribute. Prints wall time, peak RSS and a few
figures to compare with Chorus's JSON.

Usage: python3 benches/pandas_analysis.py responses.csv surveys/pingshun-2025
"""

import json
import resource
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


def definition(folder: Path):
    campaign = tomllib.loads((folder / "campaign.toml").read_text())
    items = {}  # audience -> list of (id, indicator, reverse)
    points = {}
    for f in folder.glob("*.toml"):
        if f.name in ("campaign.toml", "recommendations.toml"):
            continue
        s = tomllib.loads(f.read_text())
        if "audience" not in s:
            continue  # not a questionnaire (redaction rules, themes, ...)
        aud = s["audience"]
        points[aud] = s.get("scale", {}).get("points", 5)
        rows = []
        for sec in s.get("section", []):
            for q in sec.get("question", []):
                if q.get("type") == "likert" and q.get("indicator") and q.get("scored", True):
                    rows.append((q["id"], q["indicator"], q.get("reverse", False)))
                if q.get("type") == "likert_matrix":
                    for r in q.get("rows", []):
                        if r.get("indicator") and r.get("scored", True):
                            rows.append((r["id"], r["indicator"], r.get("reverse", False)))
        items[aud] = rows
    return campaign, items, points


def main():
    csv_path, folder = sys.argv[1], Path(sys.argv[2])
    t0 = time.perf_counter()
    campaign, items, points = definition(folder)
    analysis = campaign.get("analysis", {})
    min_share = analysis.get("min_item_share", 0.5)
    breakdowns = analysis.get("breakdowns", [])
    framework = campaign["indicator"]
    item_cols = sorted({i for rows in items.values() for i, _, _ in rows})
    dtypes = {c: "float32" for c in item_cols}
    dtypes.update({b: "str" for b in breakdowns})
    head = pd.read_csv(csv_path, nrows=0, encoding="utf-8-sig").columns
    use = ["audience"] + [b for b in breakdowns if b in head] + item_cols
    df = pd.read_csv(csv_path, usecols=use, dtype=dtypes, encoding="utf-8-sig")
    t_read = time.perf_counter()

    scores = {}  # indicator code -> Series over all rows
    alphas = {}
    for aud, rows in items.items():
        mask = df["audience"] == aud
        part = df.loc[mask]
        p = points[aud]
        scored = {}
        for qid, ind, rev in rows:
            x = part[qid]
            scored[qid] = 100.0 * ((p + 1 - x if rev else x) - 1) / (p - 1)
        scored = pd.DataFrame(scored)
        subs = {}
        for ind in sorted({r[1] for r in rows}):
            ids = [q for q, i, _ in rows if i == ind]
            block = scored[ids]
            answered = block.notna().sum(axis=1)
            s = block.mean(axis=1)
            subs[ind] = s.where(answered / len(ids) >= min_share - 1e-9)
            if len(ids) >= 2:
                complete = block.dropna()
                k = len(ids)
                if len(complete) >= 2:
                    v = complete.var(axis=0, ddof=1).sum()
                    t = complete.sum(axis=1).var(ddof=1)
                    alphas[(aud, ind)] = k / (k - 1) * (1 - v / t)
        for ind, s in subs.items():
            scores.setdefault(ind, pd.Series(np.nan, index=df.index))
            scores[ind].loc[mask] = s
    tops = {}
    for top in framework:
        num = pd.Series(0.0, index=df.index)
        den = pd.Series(0.0, index=df.index)
        for sub in top.get("sub", []):
            s = scores.get(sub["code"])
            if s is None:
                continue
            have = s.notna()
            num += s.fillna(0) * sub["weight"]
            den += have * sub["weight"]
        tops[top["code"]] = (num / den).where(den > 0)
    num = pd.Series(0.0, index=df.index)
    den = pd.Series(0.0, index=df.index)
    for top in framework:
        s = tops[top["code"]]
        num += s.fillna(0) * top["weight"]
        den += s.notna() * top["weight"]
    all_scores = pd.DataFrame({**tops, **scores, "TOTAL": (num / den).where(den > 0)})
    all_scores["group"] = df["audience"].values
    for b in breakdowns:
        if b in df:
            all_scores[b] = df[b].values

    codes = [c for c in all_scores.columns if c not in ["group"] + breakdowns]
    agg = all_scores[codes + ["group"]].groupby("group").agg(["count", "mean", "std"])
    cells = {}
    for code in codes:
        for g in agg.index:
            n, m, sd = agg.loc[g, (code, "count")], agg.loc[g, (code, "mean")], agg.loc[g, (code, "std")]
            half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
            cells[(g, code)] = (int(n), m, m - half, m + half)
    welch = {}
    groups = sorted(all_scores["group"].unique())
    for code in {c for _, c in cells}:
        for i, a in enumerate(groups):
            for b in groups[i + 1:]:
                xa = all_scores.loc[all_scores["group"] == a, code].dropna()
                xb = all_scores.loc[all_scores["group"] == b, code].dropna()
                if len(xa) > 1 and len(xb) > 1:
                    welch[(code, a, b)] = stats.ttest_ind(xa, xb, equal_var=False).pvalue
    by_attr = {}
    for b in breakdowns:
        if b in all_scores:
            by_attr[b] = all_scores.groupby(["group", b])["TOTAL"].agg(["count", "mean", "std"])
    t_done = time.perf_counter()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = cells.get(("students", "TOTAL"))
    print(
        json.dumps(
            {
                "rows": len(df),
                "read_s": round(t_read - t0, 3),
                "analyse_s": round(t_done - t_read, 3),
                "total_s": round(t_done - t0, 3),
                "peak_rss_mb": round(rss_mb),
                "students_total": total,
                "alpha_scales": len(alphas),
                "welch_tests": len(welch),
                "breakdowns": len(by_attr),
            },
            default=float,
        )
    )


if __name__ == "__main__":
    main()
