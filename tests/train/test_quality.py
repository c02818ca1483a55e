"""The generated-image scores: the Frechet distance against SciPy's matrix square root, and the
classifier's features and confidence."""
import numpy as np
import pytest
import scipy.linalg

import chainrule as cr
from chainrule.train import models
from chainrule.train.quality import features_and_confidence, frechet_distance


def reference(a, b):
    """The textbook formula, with SciPy's general matrix square root."""
    ma, mb = a.mean(0), b.mean(0)
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return ((ma - mb) ** 2).sum() + np.trace(sa + sb - 2 * scipy.linalg.sqrtm(sa @ sb).real)


def test_frechet_distance_equals_the_formula():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((500, 6)) @ rng.standard_normal((6, 6))
    b = rng.standard_normal((400, 6)) * 2 + 1
    assert frechet_distance(a, b) == pytest.approx(reference(a, b), rel=1e-9)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    assert abs(frechet_distance(a, a)) < 1e-9
    shift = np.arange(6.0)
    assert frechet_distance(a, a + shift) == pytest.approx((shift ** 2).sum(), rel=1e-9)
    with pytest.raises(ValueError, match="same number of features"):
        frechet_distance(a, b[:, :5])


def test_features_and_confidence_of_a_lenet():
    net = models.lenet5((1, 28, 28), 10)
    images = np.random.default_rng(1).random((7, 1, 28, 28)).astype(np.float32)
    features, confidence = features_and_confidence(net, images, feature_layer=len(net) - 2,
                                                   batch_size=3)
    assert features.shape == (7, 84)
    probabilities = cr.nn.functional.softmax(net(cr.tensor(images)), dim=1).numpy()
    np.testing.assert_allclose(confidence, probabilities.max(1), rtol=1e-5)
    assert np.all(features >= 0)  # the 84-unit layer's output after its ReLU
