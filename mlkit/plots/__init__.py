"""Pictures: decision boundaries, training curves and the other plots the lessons draw."""
from mlkit.plots.curves import plot_curves  # noqa: E402,F401
from mlkit.plots.decision_boundary import plot_decision_boundary  # noqa: E402,F401
from mlkit.plots.images import plot_confusion_matrix, show_filters, show_images, show_misclassified  # noqa: E402,F401,E501
from mlkit.plots.regression import plot_fit, plot_fits_side_by_side, plot_loss_functions, plot_predicted_vs_true  # noqa: E402,F401,E501
from mlkit.plots.video import animate, save_gif, save_mp4, show_video, video_frames  # noqa: E402,F401
