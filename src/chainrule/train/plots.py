"""PNG pictures of a run: loss and accuracy curves, and the confusion matrix (matplotlib)."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("pictures need matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_curves(history, path, x="epoch"):
    """Loss and (where logged) accuracy against `x` (epoch, or iter), train and validation."""
    plt = _pyplot()
    steps = [h[x] for h in history]
    metrics = [m for m in ("loss", "accuracy") if any(m in h for h in history)]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for prefix, style in (("", "-o"), ("val_", "-s")):
            values = [h.get(prefix + metric) for h in history]
            if any(v is not None for v in values):
                ax.plot(steps, values, style, ms=3, label=(prefix or "train_") + metric)
        ax.set_xlabel(x)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_confusion(counts, classes, path):
    """counts[true, predicted] as a heat map with the numbers written in."""
    plt = _pyplot()
    n = len(counts)
    fig, ax = plt.subplots(figsize=(1 + 0.6 * n, 1 + 0.6 * n))
    ax.imshow(counts, cmap="Blues")
    labels = [str(c) for c in classes]
    ax.set_xticks(range(n), labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = counts.max() or 1
    for i in range(n):
        for j in range(n):
            ax.text(j, i, int(counts[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if counts[i, j] > top / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_latent(codes, labels, classes, path):
    """Each image as a point at its 2-D latent code, coloured by its class."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 6))
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=2, alpha=0.6,
                        vmin=-0.5, vmax=len(classes) - 0.5)
    bar = fig.colorbar(points, ticks=range(len(classes)))
    bar.ax.set_yticklabels([str(c) for c in classes])
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title("test images in latent space")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
