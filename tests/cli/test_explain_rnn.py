"""`chainrule explain --model rnn`: backprop through time from the command line, in every
format; the default model is still the 2-2-2 worked example."""
import json
import math

from chainrule.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_shows_every_section_and_the_numbers(capsys):
    code, out, _ = run(capsys, "explain", "--model", "rnn")
    assert code == 0
    for heading in ("Backpropagation through time", "1. The network", "2. Forward",
                    "3. Backward through time, from step 3 to step 1",
                    "4. W_hh: one term per step", "5. W_xh: one term per step"):
        assert heading in out
    h1 = [math.tanh(0.5 * 1.0), math.tanh(-0.3 * 1.0)]  # by hand: h_0 = 0, x_1 = 1, b = 0
    for value in h1 + [0.6 * h1[0] - 0.5 * h1[1]]:
        assert format(value, ".9g") in out
    assert "W_hh.grad from backward()" in out


def test_sequence_option_and_json(capsys):
    code, out, _ = run(capsys, "explain", "--model", "rnn", "--sequence", "1", "-1", "0.5",
                       "2", "--targets", "0", "1", "0", "1", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["network"]["steps"] == 4 and d["network"]["sequence"] == [1.0, -1.0, 0.5, 2.0]
    assert [b["t"] for b in d["backward"]] == [4, 3, 2, 1]
    for w in d["weights"].values():
        assert len(w["terms"]) == 4
        total = [[sum(term[i][j] for term in w["terms"]) for j in range(len(w["grad"][0]))]
                 for i in range(len(w["grad"]))]
        for row, grad_row in zip(total, w["grad"]):
            assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
                       for a, b in zip(row, grad_row))


def test_markdown(capsys):
    code, out, _ = run(capsys, "explain", "--model", "rnn", "--format", "md")
    assert code == 0 and out.startswith("# Backpropagation through time")
    assert "| t | term | value |" in out and "```text" in out


def test_bad_sequence_is_a_usage_error(capsys):
    code, _, err = run(capsys, "explain", "--model", "rnn", "--sequence", "1", "2",
                       "--targets", "0")
    assert code == 2
    assert "one target per step (2), got 1" in err


def test_default_model_is_still_the_worked_example(capsys):
    code, out, _ = run(capsys, "explain", "--steps", "0")
    assert code == 0 and out.startswith("Backpropagation, one step worked out")
    assert "0.01" in out and "0.99" in out


def test_options_of_the_other_model_are_refused(capsys):
    assert main(["explain", "--model", "rnn", "--lr", "0.1"]) == 2
    assert "--lr is for --model mlp" in capsys.readouterr().err
    assert main(["explain", "--sequence", "1", "2"]) == 2
    assert "--sequence is for --model rnn" in capsys.readouterr().err
