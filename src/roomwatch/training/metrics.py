"""Classification metrics: per-label precision/recall/F1, macro-F1, confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["LabelScore", "Report", "evaluate"]


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # gold rows with this label


@dataclass(frozen=True, slots=True)
class Report:
    labels: tuple[str, ...]
    per_label: tuple[LabelScore, ...]
    accuracy: float
    macro_f1: float
    confusion: tuple[tuple[int, ...], ...]  # rows gold, columns predicted, in `labels` order
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "total": self.total,
            "per_label": {
                s.label: {
                    "precision": s.precision,
                    "recall": s.recall,
                    "f1": s.f1,
                    "support": s.support,
                }
                for s in self.per_label
            },
            "confusion": [list(row) for row in self.confusion],
        }

    def format(self) -> str:
        width = max(8, *(len(label) for label in self.labels))
        lines = [f"{'label':<{width}}  precision  recall     f1  support"]
        for s in self.per_label:
            numbers = f"{s.precision:9.4f}  {s.recall:6.4f}  {s.f1:5.4f}  {s.support:7d}"
            lines.append(f"{s.label:<{width}}  {numbers}")
        lines.append(f"accuracy {self.accuracy:.4f}  macro-F1 {self.macro_f1:.4f}  n={self.total}")
        lines.append("confusion (rows gold, columns predicted):")
        lines.append(" " * (width + 2) + " ".join(f"{label[:8]:>8}" for label in self.labels))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}  " + " ".join(f"{v:8d}" for v in row))
        return "\n".join(lines)


def evaluate(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Report:
    """Metrics over ``labels`` (a gold or predicted label outside it raises ValueError).

    Macro-F1 averages over labels that occur in gold or predictions.
    """
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    matrix = [[0] * k for _ in range(k)]
    for g, p in zip(gold, predicted, strict=True):
        if g not in index or p not in index:
            raise ValueError(f"label outside {list(labels)}: {g!r} / {p!r}")
        matrix[index[g]][index[p]] += 1
    scores: list[LabelScore] = []
    f1s: list[float] = []
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        predicted_n = sum(matrix[r][i] for r in range(k))
        support = sum(matrix[i])
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(LabelScore(label, precision, recall, f1, support))
        if support or predicted_n:
            f1s.append(f1)
    total = len(gold)
    correct = sum(matrix[i][i] for i in range(k))
    return Report(
        labels=tuple(labels),
        per_label=tuple(scores),
        accuracy=correct / total if total else 0.0,
        macro_f1=sum(f1s) / len(f1s) if f1s else 0.0,
        confusion=tuple(tuple(row) for row in matrix),
        total=total,
    )
