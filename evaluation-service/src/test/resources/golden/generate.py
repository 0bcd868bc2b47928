#!/usr/bin/python3
"""Golden cases for evaluation-service's metrics, computed by scikit-learn.

Run with Debian's scikit-learn (apt-get install -y python3-sklearn), not a pyenv or venv python:
    cd evaluation-service/src/test/resources/golden && /usr/bin/python3 generate.py
It rewrites classifier.json, regressor.json and retriever.json (it needs python3-pandas too).
Classifier cases also carry what MLflow draws and writes as artifacts: the ROC (drop_intermediate=True)
and precision-recall curve points, the normalized confusion matrix, and per_class_metrics.csv as pandas
writes it. The metric functions below restate what MLflow 2.17.2's default evaluator calls
(mlflow/models/evaluation: _get_binary_classifier_metrics, _get_multiclass_classifier_metrics, the
per-class collection, _gen_classifier_curve, _log_confusion_matrix, _get_regressor_metrics; for
model_type="retriever", mlflow/metrics/metric_definitions.py: _precision_at_k_eval_fn,
_recall_at_k_eval_fn, _ndcg_at_k_eval_fn and standard_aggregations), with the same sklearn and numpy
calls and arguments, so the expected values are the numbers MLflow would log for the same inputs.
Inputs are generated from fixed seeds.
"""
import json
import math
import platform

import numpy as np
import pandas as pd
import sklearn
from sklearn import metrics as sk

EPS = np.finfo(np.float64).eps
MAX_CLASSES_FOR_MULTICLASS_ROC_PR = 10


def label_list_of(y, y_pred, pos_label=None):
    labels = np.unique(np.concatenate([np.asarray(y), np.asarray(y_pred)]))
    labels.sort()
    if len(labels) <= 2:
        if pos_label is None:
            pos_label = labels[-1]
        else:
            if pos_label in labels:
                labels = np.delete(labels, np.where(labels == pos_label))
            labels = np.append(labels, pos_label)
        if len(labels) < 2:
            raise ValueError("Evaluation dataset for classification must contain at least two unique labels")
    return labels, pos_label


def common(y, y_pred, proba, labels, average, pos_label, w):
    m = {
        "example_count": len(y),
        "accuracy_score": sk.accuracy_score(y, y_pred, sample_weight=w),
        "recall_score": sk.recall_score(y, y_pred, average=average, pos_label=pos_label, sample_weight=w),
        "precision_score": sk.precision_score(y, y_pred, average=average, pos_label=pos_label, sample_weight=w),
        "f1_score": sk.f1_score(y, y_pred, average=average, pos_label=pos_label, sample_weight=w),
    }
    if proba is not None:
        m["log_loss"] = sk.log_loss(y, proba, labels=labels, sample_weight=w)
    return m


def binary_metrics(y, y_pred, proba, labels, pos_label, w):
    tn, fp, fn, tp = sk.confusion_matrix(y, y_pred).ravel()
    m = {"true_negatives": tn, "false_positives": fp, "false_negatives": fn, "true_positives": tp}
    m.update(common(y, y_pred, proba, labels, "binary", pos_label, w))
    return m


def classifier(y, y_pred, p=None, w=None, pos_label=None, average="weighted"):
    """p: binary -> P(last sorted label) per row; multiclass -> one column per sorted label."""
    y = np.asarray(y)
    y_pred = np.asarray(y_pred)
    labels, pos_label = label_list_of(y, y_pred, pos_label)
    per_class = []
    if len(labels) <= 2:
        proba = None if p is None else np.column_stack([1 - np.asarray(p, dtype=float), np.asarray(p, dtype=float)])
        m = binary_metrics(y, y_pred, proba, labels, pos_label, w)
        if proba is not None:
            m["roc_auc"] = sk.roc_auc_score(y_true=y, y_score=proba[:, 1], sample_weight=w)
            m["precision_recall_auc"] = sk.average_precision_score(
                y_true=y, y_score=proba[:, 1], pos_label=pos_label, sample_weight=w)
    else:
        proba = None if p is None else np.asarray(p, dtype=float)
        m = common(y, y_pred, proba, labels, average, None, w)
        if average in ("macro", "weighted") and proba is not None:
            m["roc_auc"] = sk.roc_auc_score(y_true=y, y_score=proba, sample_weight=w, average=average, multi_class="ovr")
        for i, c in enumerate(labels):
            y_bin = np.where(y == c, 1, 0)
            y_pred_bin = np.where(y_pred == c, 1, 0)
            row = {"positive_class": c}
            row.update(binary_metrics(y_bin, y_pred_bin, None, None, 1, w))
            if proba is not None and len(labels) <= MAX_CLASSES_FOR_MULTICLASS_ROC_PR:
                row["roc_auc"] = sk.roc_auc_score(y_true=y_bin, y_score=proba[:, i], sample_weight=w)
                row["precision_recall_auc"] = sk.average_precision_score(
                    y_true=y_bin, y_score=proba[:, i], pos_label=1, sample_weight=w)
            per_class.append(row)
    return m, per_class


def outputs(y, y_pred, p=None, w=None, pos_label=None):
    """What MLflow's _log_binary/_log_multiclass_classifier_artifacts and _log_confusion_matrix plot."""
    y = np.asarray(y)
    y_pred = np.asarray(y_pred)
    labels, pos_label = label_list_of(y, y_pred, pos_label)
    out = {}
    series = []
    if p is not None and len(labels) <= 2:
        series.append((pos_label, y, np.asarray(p, dtype=float), pos_label))
    elif p is not None and len(labels) <= MAX_CLASSES_FOR_MULTICLASS_ROC_PR:
        proba = np.asarray(p, dtype=float)
        series = [(c, np.where(y == c, 1, 0), proba[:, i], None) for i, c in enumerate(labels)]
    curves = []
    for c, y_bin, score, pos in series:
        fpr, tpr, roc_thresholds = sk.roc_curve(y_bin, score, sample_weight=w, pos_label=pos)
        precision, recall, pr_thresholds = sk.precision_recall_curve(y_bin, score, sample_weight=w, pos_label=pos)
        curves.append({"positive_class": num(c), "fpr": plain(fpr), "tpr": plain(tpr),
                       "roc_thresholds": plain(roc_thresholds), "precision": plain(precision),
                       "recall": plain(recall), "precision_recall_thresholds": plain(pr_thresholds)})
    if p is not None:
        out["curves"] = curves
    cm = sk.confusion_matrix(y, y_pred, labels=labels, normalize="true", sample_weight=w)
    out["confusion_matrix"] = {"labels": plain(labels), "normalized": plain(cm)}
    return out


def regressor(y, y_pred, w=None):
    sum_on_target = (np.array(y) * np.array(w)).sum() if w is not None else sum(y)
    return {
        "example_count": len(y),
        "mean_absolute_error": sk.mean_absolute_error(y, y_pred, sample_weight=w),
        "mean_squared_error": sk.mean_squared_error(y, y_pred, sample_weight=w),
        "root_mean_squared_error": sk.mean_squared_error(y, y_pred, sample_weight=w, squared=False),
        "sum_on_target": sum_on_target,
        "mean_on_target": sum_on_target / len(y),
        "r2_score": sk.r2_score(y, y_pred, sample_weight=w),
        "max_error": sk.max_error(y, y_pred),
        "mean_absolute_percentage_error": sk.mean_absolute_percentage_error(y, y_pred, sample_weight=w),
    }, []


def num(v):
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        v = float(v)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, np.str_):
        return str(v)
    return v


def plain(x):
    if x is None:
        return None
    return [plain(v) if isinstance(v, (list, np.ndarray)) else num(v) for v in x]


def case(kind, name, y, y_pred, p=None, w=None, pos_label=None, average=None):
    c = {"name": name, "targets": plain(y), "predictions": plain(y_pred)}
    if p is not None:
        c["probabilities"] = plain(p)
    if w is not None:
        c["sample_weights"] = plain(w)
    if pos_label is not None:
        c["pos_label"] = num(pos_label)
    if average is not None:
        c["average"] = average
    try:
        if kind == "classifier":
            m, per_class = classifier(y, y_pred, p, w, pos_label, average or "weighted")
        else:
            m, per_class = regressor(y, y_pred, w)
        c["metrics"] = {k: num(v) for k, v in m.items()}
        if per_class:
            c["per_class_metrics"] = [{k: num(v) for k, v in row.items()} for row in per_class]
            # MLflow's _log_pandas_df_artifact: DataFrame(rows).to_csv(index=False)
            c["per_class_metrics_csv"] = pd.DataFrame(per_class).to_csv(index=False)
        if kind == "classifier":
            c.update(outputs(y, y_pred, p, w, pos_label))
    except Exception as e:  # an error case: what sklearn/MLflow raises
        c["error"] = f"{type(e).__name__}: {e}"
    return c


def classifier_cases():
    rng = np.random.default_rng(16)
    cases = []
    y = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1]
    yp = [0, 1, 0, 0, 1, 1, 0, 1, 1, 0]
    p = [0.1, 0.9, 0.4, 0.2, 0.8, 0.6, 0.3, 0.7, 0.95, 0.45]
    cases.append(case("classifier", "binary_numeric_static", y, yp))
    cases.append(case("classifier", "binary_numeric_probabilities", y, yp, p))
    s = ["no" if v == 0 else "yes" for v in y]
    sp = ["no" if v == 0 else "yes" for v in yp]
    cases.append(case("classifier", "binary_string_probabilities", s, sp, p))
    cases.append(case("classifier", "binary_string_pos_label_no", s, sp, p, pos_label="no"))
    cases.append(case("classifier", "binary_numeric_pos_label_0", y, yp, p, pos_label=0))
    # ties: scores rounded to one decimal
    n = 300
    yt = rng.integers(0, 2, n)
    score = np.clip(np.round(yt * 0.3 + rng.random(n) * 0.7, 1), 0, 1)
    ypr = (score >= 0.5).astype(int)
    cases.append(case("classifier", "binary_ties_in_scores", yt, ypr, score))
    cases.append(case("classifier", "binary_all_scores_tied", y, yp, [0.5] * len(y)))
    w = np.round(rng.random(n) * 3, 3)
    cases.append(case("classifier", "binary_ties_sample_weights", yt, ypr, score, w))
    cases.append(case("classifier", "binary_ties_sample_weights_pos_label_0", yt, ypr, score, w, pos_label=0))
    cases.append(case("classifier", "binary_confidently_wrong_log_loss", [0, 1, 1, 0], [1, 1, 0, 0], [1.0, 1.0, 0.0, 0.0]))
    # negative labels, floats
    cases.append(case("classifier", "binary_negative_numeric_labels", [-1, 1, 1, -1, 1], [-1, -1, 1, -1, 1], [0.2, 0.4, 0.9, 0.1, 0.7]))
    # a single class present in the targets, predictions have both: static metrics work
    cases.append(case("classifier", "binary_single_class_in_targets_static", [1, 1, 1, 1], [1, 0, 1, 1]))
    cases.append(case("classifier", "binary_single_class_in_targets_probabilities", [1, 1, 1, 1], [1, 0, 1, 1], [0.9, 0.4, 0.8, 0.7]))
    cases.append(case("classifier", "binary_nothing_predicted_positive", [0, 1, 1, 0], [0, 0, 0, 0]))
    cases.append(case("classifier", "single_label_everywhere", [1, 1, 1], [1, 1, 1]))
    # multiclass
    k = 4
    n = 250
    cls = np.array(["ant", "bee", "cat", "dog"])
    yi = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + np.eye(k)[yi] * 1.5
    pr = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pr = np.round(pr, 2)  # ties within columns
    pr = pr / pr.sum(axis=1, keepdims=True)
    ypi = pr.argmax(axis=1)
    wm = np.round(rng.random(n) * 2 + 0.1, 3)
    for avg in ("weighted", "macro", "micro"):
        cases.append(case("classifier", f"multiclass_string_{avg}_probabilities", cls[yi], cls[ypi], pr, average=avg))
        cases.append(case("classifier", f"multiclass_numeric_{avg}_probabilities_sample_weights", yi * 10, ypi * 10, pr, wm, average=avg))
    cases.append(case("classifier", "multiclass_static", cls[yi], cls[ypi]))
    # a class that is predicted but never a target (static only: with probabilities sklearn refuses)
    cases.append(case("classifier", "multiclass_class_never_a_target_static", [0, 1, 2, 1, 0], [0, 1, 3, 1, 2]))
    cases.append(case("classifier", "multiclass_class_never_a_target_probabilities", [0, 1, 2, 1],
                      [0, 1, 3, 1], [[.7, .1, .1, .1], [.1, .7, .1, .1], [.1, .1, .1, .7], [.1, .7, .1, .1]]))
    cases.append(case("classifier", "multiclass_class_never_predicted", [0, 1, 2, 2, 1], [0, 1, 1, 1, 1]))
    cases.append(case("classifier", "multiclass_probabilities_not_summing_to_one", [0, 1, 2], [0, 1, 2],
                      [[.5, .1, .1], [.1, .5, .1], [.1, .1, .5]]))
    # outputs: rows weighing 0 are no thresholds; labels pandas must quote; too many classes for curves
    yz = rng.integers(0, 2, 60)
    sz = np.round(np.clip(yz * 0.25 + rng.random(60) * 0.75, 0, 1), 3)
    wz = np.where(rng.random(60) < 0.25, 0.0, np.round(rng.random(60) * 3, 3))
    cases.append(case("classifier", "binary_zero_sample_weights", yz, (sz >= 0.5).astype(int), sz, wz))
    cases.append(case("classifier", "binary_string_pos_label_no_sample_weights", s, sp, p, w=[1, 2, 1, 0.5, 1, 1, 2, 1, 1, 3], pos_label="no"))
    odd = np.array(["a,b", 'say "hi"', "plain"])
    yo = rng.integers(0, 3, 40)
    po = rng.dirichlet(np.ones(3), 40)
    cases.append(case("classifier", "multiclass_labels_needing_csv_quotes", odd[yo], odd[po.argmax(axis=1)], po))
    k11 = 11
    y11 = np.arange(66) % k11
    p11 = rng.dirichlet(np.ones(k11), 66)
    cases.append(case("classifier", "multiclass_eleven_classes_probabilities", y11, p11.argmax(axis=1), p11))
    # errors
    cases.append(case("classifier", "empty", [], []))
    cases.append(case("classifier", "nan_probability", [0, 1, 1, 0], [0, 1, 1, 0], [0.1, float("nan"), 0.8, 0.2]))
    cases.append(case("classifier", "nan_target", [0.0, 1.0, float("nan"), 0.0], [0.0, 1.0, 1.0, 0.0]))
    cases.append(case("classifier", "mixed_string_and_number_labels", np.array([0, "a", 0, "a"], dtype=object), np.array([0, "a", "a", 0], dtype=object)))
    return cases


def regressor_cases():
    rng = np.random.default_rng(61)
    cases = []
    y = [3.0, -0.5, 2.0, 7.0, 4.2]
    yp = [2.5, 0.0, 2.0, 8.0, 3.9]
    cases.append(case("regressor", "small", y, yp))
    n = 500
    yr = rng.normal(50, 20, n)
    ypr = yr + rng.normal(0, 5, n)
    wr = np.round(rng.random(n) * 4, 3)
    cases.append(case("regressor", "random_500", yr, ypr))
    cases.append(case("regressor", "random_500_sample_weights", yr, ypr, w=wr))
    cases.append(case("regressor", "constant_target_perfect", [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]))
    cases.append(case("regressor", "constant_target_imperfect", [3.0, 3.0, 3.0, 3.0], [2.0, 3.0, 4.5, 3.0]))
    cases.append(case("regressor", "zeros_in_target_mape", [0.0, 1.0, 2.0, 0.0], [0.5, 1.0, 1.5, 0.0]))
    cases.append(case("regressor", "integers", [1, 2, 3, 4, 5], [1, 3, 3, 2, 6]))
    cases.append(case("regressor", "single_row", [2.0], [1.5]))
    cases.append(case("regressor", "empty", [], []))
    cases.append(case("regressor", "nan_prediction", [1.0, 2.0, 3.0], [1.0, float("nan"), 3.0]))
    cases.append(case("regressor", "nan_target", [1.0, float("nan"), 3.0], [1.0, 2.0, 3.0]))
    return cases


# --- retriever: MLflow 2.17.2's per-row functions restated, on sklearn's ndcg_score and numpy

def ids_ok(column):
    """MLflow's _validate_array_like_id_data: non-empty, every row a list of str/int."""
    return len(column) > 0 and all(
        isinstance(row, list) and all(isinstance(v, (str, int)) for v in row) for row in column)


def precision_at_k(relevant, retrieved, k):
    top = retrieved[:k]
    truth = set(relevant)
    return sum(1 for d in top if d in truth) / len(top) if top else 0


def recall_at_k(relevant, retrieved, k):
    truth, top = set(relevant), set(retrieved[:k])
    if truth:
        return len(truth & top) / len(truth)
    return 1 if not top else 0


def ndcg_row_arrays(top, relevant):
    """MLflow's _prepare_row_for_ndcg: repeats become new ids (relevant when the id is), float32 scores."""
    truth = set(relevant)
    seen, expanded = {}, []
    for d in top:
        seen[d] = seen.get(d, 0) + 1
        if seen[d] == 1:
            expanded.append(d)
        else:
            renamed = f"{d}_bc574ae_{seen[d]}"
            expanded.append(renamed)
            if d in truth:
                truth.add(renamed)
    index = {d: i for i, d in enumerate(truth.union(expanded))}
    n = max(len(index), 2)
    y_true = np.zeros((1, n), dtype=np.float32)
    y_score = np.zeros((1, n), dtype=np.float32)
    for i, d in enumerate(expanded):
        y_score[0, index[d]] = 1 - i * 1e-6
    for d in truth:
        y_true[0, index[d]] = 1
    return y_score, y_true


def ndcg_at_k(relevant, retrieved, k):
    if not retrieved or not relevant:
        return 1 if not retrieved and not relevant else 0
    top = retrieved[:k]
    y_score, y_true = ndcg_row_arrays(top, relevant)
    return sk.ndcg_score(y_true, y_score, k=len(top), ignore_ties=True)


def retriever_case(name, relevant, retrieved, k=3):
    c = {"name": name, "k": k, "targets": relevant, "predictions": retrieved}
    if not (ids_ok(retrieved) and ids_ok(relevant)):
        c["error"] = "MLflow logs no retriever metric: an id is not a string or an integer"
        return c
    metrics, scores = {}, {}
    for metric, fn in (("precision", precision_at_k), ("recall", recall_at_k), ("ndcg", ndcg_at_k)):
        name_k = f"{metric}_at_{k}"
        per_row = [fn(t, p, k) for t, p in zip(relevant, retrieved)]
        metrics[f"{name_k}/mean"] = num(np.mean(per_row))
        metrics[f"{name_k}/variance"] = num(np.var(per_row))
        metrics[f"{name_k}/p90"] = num(np.percentile(per_row, 90))
        scores[f"{name_k}/score"] = [num(np.float64(v)) for v in per_row]
    c["metrics"] = metrics
    c["scores"] = scores
    return c


def retriever_cases():
    rng = np.random.default_rng(3)
    cases = []
    cases.append(retriever_case("strings_k3",
                                [["doc1"], ["doc3", "doc9"], ["doc2", "doc4", "doc5"], ["doc8"]],
                                [["doc1", "doc7", "doc3"], ["doc9", "doc3", "doc1"], ["doc5", "doc6", "doc2"],
                                 ["doc6", "doc7", "doc9"]]))
    # MLflow's docstring example: relevant [1, 2], retrieved [1, 1, 1, 3] scores as [10, 11, 12, 2] vs [10, 11, 12, 3]
    cases.append(retriever_case("duplicates_in_retrieved", [[1, 2], [10, 11, 12, 2], ["a", "b"], ["a"]],
                                [[1, 1, 1, 3], [10, 11, 12, 3], ["c", "c", "a", "a"], ["b", "a", "b", "a"]], k=4))
    cases.append(retriever_case("k_larger_than_the_lists", [["a", "b", "c"], ["x"], ["p", "q"]],
                                [["c", "z", "a"], ["y", "x"], ["q"]], k=10))
    cases.append(retriever_case("k_cuts_the_lists", [["a", "b", "c", "d"], ["e"]],
                                [["z", "a", "b", "c", "d"], ["e", "x", "y"]], k=2))
    cases.append(retriever_case("empty_retrieved", [["a"], ["b", "c"], ["d"]], [[], ["c"], []]))
    cases.append(retriever_case("empty_relevant", [[], ["b"], []], [["a", "b"], ["b"], []]))
    cases.append(retriever_case("both_empty_only", [[], []], [[], []]))
    cases.append(retriever_case("string_and_integer_ids_differ", [["1", "2"], [1, 2]], [[1, 2, "1"], ["2", 2, 1]]))
    cases.append(retriever_case("repeated_relevant_ids", [["a", "a", "b"]], [["b", "x", "a"]], k=1))
    cases.append(retriever_case("single_row", [["a", "b"]], [["x", "b", "a"]]))
    n, vocab = 300, 12
    relevant, retrieved = [], []
    for _ in range(n):
        relevant.append([int(v) for v in rng.choice(vocab, size=rng.integers(0, 5), replace=False)])
        retrieved.append([int(v) for v in rng.integers(0, vocab, size=rng.integers(0, 9))])
    for k in (1, 3, 5, 8):
        cases.append(retriever_case(f"random_300_rows_integer_ids_k{k}", relevant, retrieved, k=k))
    cases.append(retriever_case("float_ids_refused", [[1.0, 2.0]], [[1.0, 3.0]]))
    return cases


def write(path, cases):
    doc = {
        "generator": "generate.py",
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cases": cases,
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    write("classifier.json", classifier_cases())
    write("regressor.json", regressor_cases())
    write("retriever.json", retriever_cases())
