"""A multilayer perceptron that predicts real numbers.

For an input ``x`` of shape ``(N, D)`` it computes

    h_0 = x,   h_k = act(W_k h_{k-1} + b_k)   for k = 1 .. n_layers,
    y = W_out h_{n_layers} + b_out

and returns ``y`` of shape ``(N, n_out)``: no activation on the output, because a regression
target may be any real number. ``n_layers=0`` is plain linear regression.
"""
import chainer
import chainer.functions as F
import chainer.links as L


class MLPRegressor(chainer.Chain):
    """``n_layers`` hidden layers of ``n_hidden`` units, then a linear output of ``n_out``.

    The input size is inferred on the first call (Chainer's lazy ``L.Linear(None, ...)``), so the
    same class fits a 1-D curve and a 10-feature table.

    Args:
        n_hidden (int): units per hidden layer.
        n_layers (int): number of hidden layers (0: a linear model).
        n_out (int): outputs per example.
        activation (callable): the nonlinearity between layers (``F.relu`` by default).
    """

    def __init__(self, n_hidden, n_layers=2, n_out=1, activation=F.relu):
        super().__init__()
        if n_layers < 0 or n_hidden < 1 or n_out < 1:
            raise ValueError(f"need n_layers >= 0, n_hidden >= 1 and n_out >= 1; got "
                             f"n_layers={n_layers}, n_hidden={n_hidden}, n_out={n_out}")
        self.n_hidden, self.n_layers, self.n_out = n_hidden, n_layers, n_out
        self.activation = activation
        with self.init_scope():
            self.hidden = chainer.ChainList(*[L.Linear(None, n_hidden) for _ in range(n_layers)])
            self.out = L.Linear(None, n_out)

    def forward(self, x):
        """``x`` (N, D) float32 -> predictions (N, n_out) float32."""
        h = x
        for layer in self.hidden:
            h = self.activation(layer(h))
        return self.out(h)
