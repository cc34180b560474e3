"""A small convolutional network for 28 x 28 digit images.

Shapes for MNIST, with the default ``channels=(32, 64)`` and ``n_hidden=128``::

    x                                    (N,  1, 28, 28)
    conv 3x3 pad 1 -> BN -> ReLU          (N, 32, 28, 28)
    max pool 2x2                          (N, 32, 14, 14)
    conv 3x3 pad 1 -> BN -> ReLU          (N, 64, 14, 14)
    max pool 2x2                          (N, 64,  7,  7)
    dropout(0.25) -> linear -> BN -> ReLU (N, 128)          <- features(x)
    dropout(0.5)  -> linear               (N, n_out)        <- forward(x): class scores

The convolutions have no bias: the batch normalization right after them adds its own shift
(beta), so a bias there would be cancelled by the mean subtraction anyway.

Training mode and test mode differ (``chainer.config.train``): in training, dropout zeroes
random units and batch normalization uses the statistics of the batch (updating its running
averages); in test mode dropout does nothing and batch normalization uses the running averages,
so a prediction depends on its own image only. Evaluate with
``with chainer.using_config('train', False):``.
"""
import chainer
import chainer.functions as F
import chainer.links as L


class CNN(chainer.Chain):
    """Two convolution blocks (conv, batch norm, ReLU, max pooling), then two dense layers.

    Args:
        n_out (int): number of classes.
        channels (tuple of two ints): output channels of the two convolutions.
        n_hidden (int): size of the penultimate layer (the :meth:`features`).
        dropout (tuple of two floats): dropout ratios before the two dense layers.
    """

    def __init__(self, n_out=10, channels=(32, 64), n_hidden=128, dropout=(0.25, 0.5)):
        super().__init__()
        c1, c2 = channels
        self.dropout = tuple(dropout)
        with self.init_scope():
            self.conv1 = L.Convolution2D(None, c1, ksize=3, pad=1, nobias=True)
            self.bn1 = L.BatchNormalization(c1)
            self.conv2 = L.Convolution2D(c1, c2, ksize=3, pad=1, nobias=True)
            self.bn2 = L.BatchNormalization(c2)
            # None: the input size (c2 * 7 * 7 for 28 x 28 images) is read from the first batch.
            self.fc = L.Linear(None, n_hidden, nobias=True)
            self.bn3 = L.BatchNormalization(n_hidden)
            self.out = L.Linear(n_hidden, n_out)

    def features(self, x):
        """``x`` (N, C, H, W) float32 -> the penultimate layer (N, n_hidden), after its ReLU.

        Later lessons compare images through these features (a Frechet distance); call it in
        test mode for deterministic features.
        """
        h = F.max_pooling_2d(F.relu(self.bn1(self.conv1(x))), 2)
        h = F.max_pooling_2d(F.relu(self.bn2(self.conv2(h))), 2)
        h = F.dropout(h, self.dropout[0])
        return F.relu(self.bn3(self.fc(h)))

    def forward(self, x):
        """``x`` (N, C, H, W) float32 -> class scores (N, n_out)."""
        return self.out(F.dropout(self.features(x), self.dropout[1]))
