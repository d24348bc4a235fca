package dev.lb4j.core.internal.pool;

/**
 * The fields every lease writes, on a cache line of their own. Backends of one pool are allocated
 * together, so without padding the counters of neighbours share lines, and two threads that lease
 * different backends would still move lines between their cores. The 128 bytes on each side (two
 * lines, for the adjacent-line prefetcher) keep other objects and the backend's own cold fields
 * away; the JVM lays out a superclass's fields before its subclass's, which is what orders them.
 */
abstract class BackendStateFields {

  // 128 bytes before the hot fields.
  @SuppressWarnings("unused")
  private long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}
