"""The fit loop: it learns, it logs, it checkpoints, and a resumed run ends exactly where an
uninterrupted one does."""
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset, datasets
from chainrule.train import EarlyStopping, Trainer, fit, models


def _digits_run(out_dir, epochs, resume=False, seed=0):
    cr.manual_seed(seed)
    train = datasets.Digits(train=True)
    model = models.build("mlp", (1, 8, 8), 10, hidden=(32,))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = cr.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=sched, out_dir=out_dir,
                      progress=False)
    if resume:
        cr.manual_seed(seed + 123)  # a different state: resume must restore the saved one
    trainer.fit(loader, epochs=epochs, resume=resume)
    return trainer


def test_resume_gives_the_same_weights_as_an_uninterrupted_run(tmp_path):
    straight = _digits_run(tmp_path / "straight", epochs=4)
    _digits_run(tmp_path / "split", epochs=2)
    resumed = _digits_run(tmp_path / "split", epochs=4, resume=True)
    for (name, a), (_, b) in zip(straight.model.state_dict().items(),
                                 resumed.model.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    assert [h["loss"] for h in straight.history] == [h["loss"] for h in resumed.history]
    lines = (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]


def test_fit_learns_digits_and_evaluates(tmp_path):
    cr.manual_seed(0)
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    model = models.build("mlp", (1, 8, 8), 10, hidden=(64,))
    trainer = fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters(), lr=3e-3),
                  DataLoader(train, batch_size=32, shuffle=True), DataLoader(test, batch_size=256),
                  epochs=15, progress=False, out_dir=tmp_path)
    result = trainer.evaluate(DataLoader(test, batch_size=256))
    assert result["accuracy"] >= 0.95
    assert result["confusion"].sum() == len(test)
    assert np.trace(result["confusion"]) == round(result["accuracy"] * len(test))
    assert trainer.history[-1]["val_accuracy"] == pytest.approx(result["accuracy"])
    assert (tmp_path / "checkpoint.safetensors").exists()


def test_early_stopping_stops_when_the_metric_stalls():
    x = cr.randn(64, 2)
    data = TensorDataset(x, (x[:, 0] > 0).long())
    model = nn.Linear(2, 2)
    stopper = EarlyStopping(monitor="loss", patience=2)
    trainer = fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.0),
                  DataLoader(data, batch_size=64), epochs=50, callbacks=[stopper], progress=False)
    assert len(trainer.history) == 3  # epoch 1 sets the best; two epochs without improvement


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # it diverges on purpose
def test_divergence_is_reported_with_advice():
    x = cr.randn(32, 2)
    data = TensorDataset(x, cr.randn(32, 2))
    model = nn.Linear(2, 2)
    with pytest.raises(FloatingPointError, match="learning rate"):  # |w| grows ~1e3-fold a step
        fit(model, nn.MSELoss(), cr.optim.SGD(model.parameters(), lr=1e3),
            DataLoader(data, batch_size=32), epochs=50, progress=False)


def test_callbacks_see_every_event():
    seen = []

    class Recorder:
        def __getattr__(self, name):
            if name.startswith("on_"):
                return lambda trainer, *args: seen.append(name)
            raise AttributeError(name)

    x = cr.randn(8, 2)
    data = TensorDataset(x, cr.zeros(8, dtype=cr.int64))
    model = nn.Linear(2, 2)
    fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1),
        DataLoader(data, batch_size=4), epochs=1, callbacks=[Recorder()], progress=False)
    assert seen == ["on_fit_start", "on_epoch_start", "on_after_backward", "on_batch_end",
                    "on_after_backward", "on_batch_end", "on_epoch_end", "on_fit_end"]
