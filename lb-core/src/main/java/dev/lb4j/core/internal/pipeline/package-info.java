/**
 * The request pipeline: route -> global policies -> the route's policies -> pick -> request
 * context, over one immutable configuration snapshot, reporting each decision to a trace sink
 * (explain is a dry run of it). Not exported, not API.
 */
@NullMarked
package dev.lb4j.core.internal.pipeline;

import org.jspecify.annotations.NullMarked;
