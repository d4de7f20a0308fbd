"""scikit-learn's own estimator checks on EarlyWarningClassifier."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from earlysignal.model._estimator import EarlyWarningClassifier

EXPECTED_FAILED: dict[str, str] = {}


@parametrize_with_checks(
    [EarlyWarningClassifier(n_estimators=10, early_stopping_rounds=5,
                            min_child_samples=5)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
