"""The vectorizer: the generator run backwards. It reads an image and guesses the code z that
the generator would turn into that image, so real images can be morphed into each other by
interpolating their codes.

It has the discriminator's layout (:class:`mlkit.models.dcgan.Discriminator`) with a head of
``n_latent`` outputs instead of one logit::

    x                                             (N, 1, 28, 28)   in [-1, 1]
    conv 4x4 stride 2 pad 1 -> LeakyReLU(0.2)     (N, w, 14, 14)
    conv 4x4 stride 2 pad 1 -> BN -> LeakyReLU    (N, 2w, 7, 7)
    linear                                        (N, n_latent)    the code estimate z_hat

It is trained on the generator's own images, where the true code is known: draw z ~ N(0, I),
draw x = G(z) (shifted and scaled a little at random, so that real digits, which are not
centred the way G centres them, still encode well) and minimise ||V(x) - z||^2 / n_latent
(:func:`mlkit.training.gan.vectorizer_loss`). A real image x is then reconstructed as
G(V(x)), and morphing from image a to image b shows G((1 - t) V(a) + t V(b)) for t in [0, 1].

::

    from mlkit.models.dcgan import pretrained
    gen, vec = pretrained()      # the shipped pair (mlkit.models.weights)
    z = vec.encode(x)            # x: NumPy (N, 1, 28, 28) in [0, 1] -> (N, n_latent)
    x_again = gen.sample(len(z), z=z)
"""
import numpy

from mlkit.device import to_numpy
from mlkit.models.dcgan import Discriminator, to_gan_range
from mlkit.training.loops import predict


class Vectorizer(Discriminator):
    """V: images (N, 1, 28, 28) in [-1, 1] -> codes (N, n_latent).

    Args:
        n_latent (int): length of the code; must match the generator's.
        width (int): channels of the 14 x 14 layer (the 7 x 7 layer has twice as many).
    """

    def __init__(self, n_latent=100, width=64):
        super().__init__(width=width, n_out=n_latent)
        self.n_latent = self.n_out

    @property
    def config(self):
        """The arguments that build this vectorizer again (what a weights file stores)."""
        return dict(n_latent=self.n_latent, width=self.width)

    def encode(self, x, batch_size=500):
        """Codes of images ``x`` (N, 1, 28, 28) in [0, 1] (MNIST as loaded), in test mode
        without a graph: NumPy float32 (N, n_latent)."""
        x = to_numpy(x).astype(numpy.float32)
        if x.size and (x.min() < -1e-3 or x.max() > 1 + 1e-3):
            raise ValueError(f"encode() takes images in [0, 1], got values in "
                             f"[{x.min():.3g}, {x.max():.3g}] (images in [-1, 1] go to the "
                             "vectorizer directly: vec(x))")
        return predict(self, to_gan_range(x), batch_size, row_shape=(self.n_latent,))

