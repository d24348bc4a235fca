package dev.lb4j.core.internal.pool;

/** 128 bytes after the hot fields: see {@link BackendStateFields}. */
abstract class BackendStatePadded extends BackendStateHot {

  @SuppressWarnings("unused")
  private long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}
