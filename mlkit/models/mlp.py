"""A multilayer perceptron that classifies: two hidden ReLU layers, one score per class.

For an input ``x`` of shape ``(N, D)`` (or images ``(N, C, H, W)``, flattened to ``D = C*H*W``
by ``L.Linear``) it computes

    h_1 = relu(W_1 x + b_1),   h_2 = relu(W_2 h_1 + b_2),   y = W_3 h_2 + b_3

and returns the class scores (logits) ``y`` of shape ``(N, n_out)``. The softmax is left to the
loss (``F.softmax_cross_entropy``), which computes it in a numerically stable way.
This is the layout of Chainer's own MNIST example (there with 1000 hidden units).
"""
import chainer
import chainer.functions as F
import chainer.links as L


class MLP(chainer.Chain):
    """784 -> n_hidden -> n_hidden -> n_out, ReLU between the layers.

    Args:
        n_hidden (int): units in each of the two hidden layers.
        n_out (int): number of classes (10 for the digits).
    """

    def __init__(self, n_hidden=100, n_out=10):
        super().__init__()
        if n_hidden < 1 or n_out < 1:
            raise ValueError(f"need n_hidden >= 1 and n_out >= 1, got {n_hidden}, {n_out}")
        with self.init_scope():
            # None: the input size is read from the first batch (784 for MNIST).
            self.l1 = L.Linear(None, n_hidden)
            self.l2 = L.Linear(n_hidden, n_hidden)
            self.l3 = L.Linear(n_hidden, n_out)

    def forward(self, x):
        """``x`` (N, D) or (N, 1, 28, 28) float32 -> class scores (N, n_out)."""
        h = F.relu(self.l1(x))
        h = F.relu(self.l2(h))
        return self.l3(h)
