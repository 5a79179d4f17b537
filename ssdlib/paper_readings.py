"""Values read off the plots of Figures 1, 2 and 3 of Wang and Klabjan (UAI 2025).

Plain data, the single place where numbers taken from the paper's figures live.
:mod:`ssdlib.fidelity` fits conventions (data, ``alpha``, the subgradient in ``E``,
flow or discrete steps) to these readings; nothing else in the library uses them.

How the plots were read
-----------------------
The three figures are raster images embedded in the PDF. They were extracted at
their native resolution with ``pdfimages -f 7 -l 8 -png wang25h.pdf img`` (poppler);
the page renders ``pdftoppm -r 200 -f P -l P -png wang25h.pdf page`` (P = 7, 8) were
used to identify them:

* Figure 1 (page 7): two images of 4800 x 3000 px, panel (a) ``eps = 0.002`` and
  panel (b) ``eps = 0.01``, each with a "Primal Dynamics" axis on top and a
  "Dual Dynamics" axis below.
* Figure 2 (page 8): one image of 640 x 480 px.
* Figure 3 (page 8): one image of 2400 x 1600 px.

Axis calibration: the pixel centres of the tick marks (dark pixels in a band just
outside the axes frame) are fitted by a straight line against the tick labels;
``CALIBRATION`` lists them, ``pixel_to_value`` applies them. The
residuals of these fits are below 0.4 px on every axis.

Marks: curves are located by their exact matplotlib colours (``tab10`` for
Figure 1, the ``winter`` colour map for the markers of Figures 2 and 3); a
curve's position in a pixel column is the centre of its run of pixels, a
plateau value the median over the plateau's columns; dashed vertical lines
(pure red, ``T0`` and ``T``) by the centre of their columns; markers by a disc
template (Figure 2, where lines cross the markers) or the centroid of the disc
(Figure 3, discs 39 px wide).

Uncertainties (``sigma``) are one standard deviation and include the
calibration, the line width and the partial occlusion of curves and markers
by other curves; they are stated per reading with the pixel scale they come
from. Every value below is ``pixel_to_value`` of the stored pixel position,
rounded to well below ``sigma`` (``tests/test_fidelity.py`` checks this).
"""

from __future__ import annotations

__all__ = ["CALIBRATION", "FIGURE_1", "FIGURE_2", "FIGURE_3", "pixel_to_value"]

PDF = "wang25h.pdf (Wang and Klabjan, UAI 2025, PMLR 286)"

# (image, axis) -> (pixel positions of the ticks, tick values). Columns for x axes,
# rows for y axes, in the coordinates of the extracted image.
CALIBRATION = {
    ("figure1", "t"): ((548.0, 1209.0, 1869.0, 2530.0, 3191.0, 3851.0, 4512.0),
                       (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2)),
    ("figure1a", "primal"): ((290.0, 524.0, 758.0, 992.0, 1226.0), (1.0, 0.5, 0.0, -0.5, -1.0)),
    ("figure1a", "dual"): ((1652.0, 1863.0, 2074.0, 2285.0, 2495.0), (1.0, 0.8, 0.6, 0.4, 0.2)),
    ("figure1b", "primal"): ((267.0, 498.0, 730.0, 961.0, 1193.0), (1.0, 0.5, 0.0, -0.5, -1.0)),
    ("figure1b", "dual"): ((1686.0, 1889.0, 2093.0, 2296.0, 2499.0), (1.0, 0.8, 0.6, 0.4, 0.2)),
    ("figure2", "beta1"): ((137.0, 199.0, 260.0, 321.0, 383.0, 444.0, 505.0, 567.0),
                           (-0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2)),
    ("figure2", "beta2"): ((410.0, 349.0, 288.0, 226.0, 165.0, 104.0),
                           (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)),
    ("figure3", "eps"): ((551.5, 792.5, 1032.5, 1273.5, 1514.5, 1754.5, 1995.5, 2236.5),
                         (0.0025, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175, 0.02)),
    ("figure3", "E"): ((157.5, 433.5, 708.5, 984.5, 1259.5), (0.33, 0.32, 0.31, 0.30, 0.29)),
}


def pixel_to_value(image, axis, pixel):
    """Map a pixel position to a data value with the least-squares line through the ticks.

    Parameters
    ----------
    image, axis : str
        A key of ``CALIBRATION``, e.g. ``("figure2", "beta1")``.
    pixel : float or sequence of float

    Returns
    -------
    float or list of float
    """
    px, val = CALIBRATION[(image, axis)]
    n = len(px)
    mp, mv = sum(px) / n, sum(val) / n
    slope = sum((p - mp) * (v - mv) for p, v in zip(px, val, strict=True)) / sum(
        (p - mp) ** 2 for p in px)
    if isinstance(pixel, (int, float)):
        return mv + slope * (pixel - mp)
    return [mv + slope * (p - mp) for p in pixel]


# ---------------------------------------------------------------------------
# Figure 1: N = 2, D = 5, alpha = 0.1; panel (a) eps = 0.002, (b) eps = 0.01.
# Coordinates i = 1..5 in the paper's legend order (colours C0..C4).
# Scales: t axis 3303 px per unit; dual axes 1054 (a) / 1016 (b) px per unit;
# primal axes 468 (a) / 463 (b) px per unit.

FIGURE_1 = {
    "source": "page 7, images 0 (panel a) and 2 (panel b) of `pdfimages -f 7 -l 7`, "
              "4800 x 3000 px each",
    "alpha": 0.1,
    "t_max": 1.2,  # plotted time window [0, 1.2] (x limits = data range + 5% margins)
    "eps": (0.002, 0.01),
    # Which coordinates plateau together (same stopping time in both panels):
    # block A = coordinates 1, 3, 4; block B = coordinates 2, 5 (0-based below).
    "blocks": ((0, 2, 3), (1, 4)),
    # sgn(beta_inf) per coordinate, read from the primal panels
    "beta_sign": (1, -1, -1, -1, 1),
    "panels": {
        0.002: {
            # red dashed lines, columns 916-926 and 3063-3073
            "T0": {"px": 921.0, "value": 0.1129, "sigma": 0.0006},
            "T": {"px": 3068.0, "value": 0.7629, "sigma": 0.0006},
            # plateau of the dual curves over t in [1.15, 1.2]; all five are positive
            # although beta_2, beta_3, beta_4 are negative: the panel shows |dual| = u
            "u_inf": {"px": (1631.5, 1804.5, 1612.5, 1643.0, 1818.5),
                      "value": (1.0196, 0.8555, 1.0377, 1.0087, 0.8422), "sigma": 0.002},
            # plateau of the primal curves over t in [1.12, 1.15] (legend beyond)
            "beta_inf": {"px": (273.0, 1099.5, 1260.5, 1233.0, 426.5),
                         "value": (1.0363, -0.7297, -1.0737, -1.0150, 0.7083), "sigma": 0.004},
        },
        0.01: {
            "T0": {"px": 921.0, "value": 0.1129, "sigma": 0.0006},
            "T": {"px": 3186.0, "value": 0.7986, "sigma": 0.0006},
            "u_inf": {"px": (1692.5, 1820.5, 1612.5, 1734.5, 1875.5),
                      "value": (0.9936, 0.8677, 1.0723, 0.9523, 0.8136), "sigma": 0.002},
            "beta_inf": {"px": (273.0, 1077.5, 1260.5, 1148.5, 423.5),
                         "value": (0.9866, -0.7510, -1.1462, -0.9043, 0.6616), "sigma": 0.004},
            # the fan-out: dual and primal curves at t = 0.5 and t = 1.0 (median over
            # t +- 0.004); neighbouring dual curves overlap partly at t = 0.5, hence the
            # larger sigma
            "u_t": {"t": (0.5, 1.0),
                    "px": ((2168.5, 2117.0, 2132.5, 2187.5, 2143.5),
                           (1730.5, 1820.5, 1665.5, 1767.0, 1875.5)),
                    "value": ((0.5253, 0.5760, 0.5607, 0.5066, 0.5499),
                              (0.9562, 0.8677, 1.0202, 0.9203, 0.8136)),
                    "sigma": 0.003},
            "beta_t": {"t": (0.5, 1.0),
                       "px": ((602.0, 884.5, 873.5, 848.0, 589.5),
                              (306.5, 1077.5, 1210.5, 1120.5, 423.5)),
                       "value": ((0.2760, -0.3341, -0.3104, -0.2553, 0.3030),
                                 (0.9143, -0.7510, -1.0382, -0.8438, 0.6616)),
                       "sigma": 0.005},
        },
    },
    # The dual curves start at 0.1012 (only the last-drawn curve, coordinate 5, is
    # visible at t = 0; the others lie under it), i.e. at u(0) = alpha.
    "dual_at_0": {"px": 2599.5, "value": 0.1012, "sigma": 0.002},
}

# ---------------------------------------------------------------------------
# Figure 2: N = 1, D = 2, eps in {0.001, 0.002, 0.005, 0.01, 0.02}.
# Scales: 614.3 px per unit on the beta1 axis, 612.0 px per unit on the beta2 axis.

FIGURE_2 = {
    "source": "page 8, image 4 of `pdfimages -f 8 -l 8`, 640 x 480 px",
    "eps": (0.001, 0.002, 0.005, 0.01, 0.02),
    # the dashed line "all solutions", beta2 = intercept + slope * beta1: least-squares
    # fit to its 260 grey pixels over beta1 in [-0.495, 0.116] (residual std 0.0005)
    "line": {"slope": 0.2788, "intercept": 0.5161, "sigma": 0.002},
    # end points of the trajectories (filled circles, 9 px wide, crossed by the dashed
    # line and the trajectory): disc-template maxima, +- 2 px
    "limits": {"px": ((212.11, 159.09), (224.03, 156.14), (255.08, 147.09),
                      (292.09, 137.07), (339.06, 124.13)),
               "beta1": (-0.3780, -0.3586, -0.3080, -0.2476, -0.1711),
               "beta2": (0.4098, 0.4146, 0.4294, 0.4458, 0.4669),
               "sigma": 0.003},
    # "minimal E solution" (orange star)
    "min_E": {"px": (380.02, 112.58), "beta1": -0.1043, "beta2": 0.4858, "sigma": 0.004},
    # every trajectory starts at beta = 0
    "start": (0.0, 0.0),
}

# ---------------------------------------------------------------------------
# Figure 3: E(beta_inf, beta_0) at eps = 0.001, 0.002, ..., 0.02 (20 filled discs,
# 39 px wide; centroid of the saturated pixels). Scale: 27550 px per unit of E,
# so sigma = 5e-5 is 1.4 px.

FIGURE_3 = {
    "source": "page 8, image 6 of `pdfimages -f 8 -l 8`, 2400 x 1600 px",
    "eps": tuple(round(0.001 * k, 3) for k in range(1, 21)),
    "px": (119.0, 285.0, 424.0, 545.0, 650.0, 742.0, 823.0, 894.0, 957.0, 1013.0,
           1062.0, 1105.0, 1143.0, 1176.0, 1206.0, 1232.0, 1255.0, 1275.0, 1292.0, 1307.0),
    "E": (0.33140, 0.32538, 0.32033, 0.31594, 0.31213, 0.30879, 0.30585, 0.30327,
          0.30099, 0.29895, 0.29718, 0.29562, 0.29424, 0.29304, 0.29195, 0.29101,
          0.29017, 0.28944, 0.28883, 0.28828),
    "sigma": 5e-5,
}
