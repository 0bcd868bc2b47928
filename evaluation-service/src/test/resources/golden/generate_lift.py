#!/usr/bin/python3
"""Golden cases for the lift curves of evaluation-service's lift_curve_plot.png, computed by numpy.

Run with Debian's numpy (apt-get install -y python3-numpy), not a pyenv or venv python:
    cd evaluation-service/src/test/resources/golden && /usr/bin/python3 generate_lift.py
It rewrites lift.json. The functions below restate what MLflow 2.17.2's default evaluator computes for
lift_curve_plot.png (_log_lift_curve -> plot_lift_curve(self.y, self.y_probs, pos_label) in
mlflow/models/evaluation/lift_curve.py, scikit-plot's _cumulative_gain_curve), with the same numpy calls,
without drawing: the expected values are the points MLflow would plot for the same inputs. MLflow passes no
sample weights to it; a case with weights expects the unweighted curve. Inputs are generated from fixed seeds.
"""
import json
import platform

import numpy as np


def cumulative_gain_curve(y_true, y_score, pos_label):
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    y_true = y_true == pos_label
    sorted_indices = np.argsort(y_score)[::-1]
    y_true = y_true[sorted_indices]
    gains = np.cumsum(y_true)
    percentages = np.arange(start=1, stop=len(y_true) + 1)
    gains = gains / float(np.sum(y_true))
    percentages = percentages / float(len(y_true))
    gains = np.insert(gains, 0, [0])
    percentages = np.insert(percentages, 0, [0])
    return percentages, gains


def lift_curves(y_true, y_probas):
    """plot_lift_curve's data: the percentages and each class's lift; None where it raises ValueError."""
    y_true = np.array(y_true)
    y_probas = np.array(y_probas)
    classes = np.unique(y_true)
    if len(classes) != 2:
        return None
    percentages, gains1 = cumulative_gain_curve(y_true, y_probas[:, 0], classes[0])
    percentages, gains2 = cumulative_gain_curve(y_true, y_probas[:, 1], classes[1])
    percentages = percentages[1:]
    gains1 = gains1[1:] / percentages
    gains2 = gains2[1:] / percentages
    return classes, percentages, gains1, gains2


def num(v):
    return v.item() if isinstance(v, np.generic) else v


def tie_run_ends(score):
    """The points (0-based) that close a run of tied scores in descending order: whatever order numpy's
    introsort leaves tied rows in (more than 16 rows), the cumulative gain there is the same."""
    s = np.sort(np.asarray(score))[::-1]
    return [i for i in range(len(s)) if i == len(s) - 1 or s[i] != s[i + 1]]


def case(name, y, p, w=None, pos_label=None, ties_beyond_16_rows=False, y_pred=None):
    """p: one value per row (P(the last sorted label), predict_proba is [1 - p, p]) or two per row.
    ties_beyond_16_rows: numpy's unstable introsort orders tied rows its own way; only the points closing a
    run of ties are implementation-independent, and the case lists them."""
    c = {"name": name, "targets": list(y), "predictions": list(y if y_pred is None else y_pred),
         "probabilities": list(p)}
    if w is not None:
        c["sample_weights"] = list(w)
    if pos_label is not None:
        c["pos_label"] = pos_label
    p = np.asarray(p, dtype=float)
    proba = p if p.ndim == 2 else np.column_stack([1 - p, p])
    curves = lift_curves(y, proba)
    if curves is None:
        c["lift"] = None
        return c
    classes, percentages, lift0, lift1 = curves
    c["lift"] = {
        "classes": [num(v) for v in classes],
        "percentages": [num(v) for v in percentages],
        "first_class": [num(v) for v in lift0],
        "second_class": [num(v) for v in lift1],
    }
    if ties_beyond_16_rows:
        c["lift"]["first_class_exact_at"] = tie_run_ends(proba[:, 0])
        c["lift"]["second_class_exact_at"] = tie_run_ends(proba[:, 1])
    return c


def cases():
    rng = np.random.default_rng(17)
    out = []
    out.append(case("by_hand_five_rows", [1, 0, 1, 1, 0], [0.9, 0.8, 0.7, 0.2, 0.1]))
    out.append(case("strings_pos_label_no", ["yes", "no", "no", "yes", "no", "yes"],
                    [0.3, 0.6, 0.1, 0.8, 0.45, 0.9], pos_label="no"))
    # ties: up to 16 rows numpy's default argsort is an insertion sort, stable, so [::-1] puts later rows first
    out.append(case("ties_twelve_rows", [0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0],
                    [0.5, 0.5, 0.5, 0.2, 0.8, 0.8, 0.5, 0.2, 0.8, 0.5, 0.2, 0.2]))
    out.append(case("all_tied", [1, 0, 0, 1, 1, 0, 1], [0.5] * 7))
    # 1 - p ties where p does not: 1e-17 and 2e-17 both give 1.0 in class 0's column
    out.append(case("one_minus_p_ties", [0, 1, 0, 1, 0], [1e-17, 2e-17, 0.3, 0.9, 3e-17]))
    out.append(case("two_columns_not_summing_to_one", [2, 5, 5, 2, 5, 2, 2],
                    [[0.9, 0.3], [0.2, 0.6], [0.4, 0.65], [0.7, 0.1], [0.1, 0.95], [0.55, 0.2], [0.3, 0.4]]))
    y = [int(v) for v in rng.integers(0, 2, 400)]
    # a logistic score: distinct probabilities, no ties (clipping to [0, 1] would tie rows at 0 and 1)
    p = [float(1 / (1 + np.exp(-((1.0 if v else -1.0) + rng.normal(0, 1.5))))) for v in y]
    out.append(case("random_400_rows", y, p))
    out.append(case("weights_are_ignored", y[:50], p[:50], w=[float(v) for v in rng.uniform(0.1, 3.0, 50)]))
    y = [int(v) for v in rng.integers(0, 2, 200)]
    p = [float(v) for v in np.round(rng.uniform(0, 1, 200), 1)]
    assert len(set(p)) < len(p)
    out.append(case("ties_200_rows", y, p, ties_beyond_16_rows=True))
    # binary through the predictions, one class in the targets: scikit-plot raises, MLflow logs no lift plot
    out.append(case("one_class_in_targets", [1, 1, 1], [0.2, 0.7, 0.9], y_pred=[0, 1, 1]))
    return out


if __name__ == "__main__":
    doc = {"generator": "generate_lift.py", "numpy": np.__version__, "python": platform.python_version(),
           "cases": cases()}
    with open("lift.json", "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
