package dev.lb4j.core.internal;

/** The exponential decay shared by the latency EWMA and the peak-EWMA picker. */
public final class Decay {

  private Decay() {}

  /**
   * {@code exp(-x)} for {@code x >= 0}. Under load, estimates are fresh and {@code x = age / tau} is
   * tiny; there the second-order series {@code 1 - x + x^2 / 2} is exact to 1e-7 (the error is
   * below {@code x^3 / 6}) and much cheaper than {@link Math#exp}.
   *
   * @param x the age in units of the time constant
   * @return the weight that remains
   */
  public static double weight(double x) {
    return x < 0.01 ? 1 - x * (1 - x * 0.5) : Math.exp(-x);
  }
}
