"""An independent implementation of the course's network in PyTorch, for the tests to compare
against: the same equations written with torch's own layers of autograd, losses and activations.

    J, grads = torch_cost(params, activation, X, Y, lambd, m_train, masks)

`params` is {"W1": ..., "b1": ...} as NumPy arrays; X is (n_x, m) with samples as columns; Y is
(1, m) 0/1 for a sigmoid output or (K, m) one-hot; `masks` maps a hidden layer l to its scaled
dropout mask D[l] (the output of layer l is multiplied by it), so the reference differentiates
exactly the function the masks define.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
}


def torch_cost(params, activation, X, Y, lambd=0.0, m_train=None, masks=None):
    """(J, {name: dJ/dname}) in float64: mean cross-entropy + lambda/(2 m_train) sum ||W||^2."""
    L = len(params) // 2
    t = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True)
         for k, v in params.items()}  # fmt: skip
    A = torch.tensor(np.asarray(X, dtype=np.float64))
    for l in range(1, L + 1):
        Z = t[f"W{l}"] @ A + t[f"b{l}"]
        if l < L:
            A = ACTIVATIONS[activation](Z)
            if masks and masks.get(l) is not None:
                A = A * torch.tensor(masks[l])
    Yt = torch.tensor(np.asarray(Y, dtype=np.float64))
    if Yt.shape[0] == 1:
        ce = F.binary_cross_entropy_with_logits(Z, Yt, reduction="mean")
    else:
        ce = F.cross_entropy(Z.T, Yt.argmax(dim=0), reduction="mean")
    m = m_train or Yt.shape[1]
    J = ce + lambd / (2 * m) * sum((t[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    J.backward()
    return float(J.detach()), {k: v.grad.numpy() for k, v in t.items()}


def torch_cross_entropy(params, activation, X, Y) -> float:
    """The mean cross-entropy alone, no dropout, no penalty."""
    return torch_cost(params, activation, X, Y)[0]
