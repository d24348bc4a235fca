package dev.lb4j.core.internal;

/**
 * Marks built-in algorithms whose picks are independent of load and proportional to weight (round
 * robin, weighted round robin, random, weighted random). Slow start can then reject a pick of a
 * warming backend and simply pick again, which yields exactly the ramped weight; for every other
 * algorithm a rejected backend is excluded from the rest of the selection instead.
 */
public interface PicksInProportion {}
