/**
 * The serving loop around a {@link dev.vlm.scheduler.Scheduler}: one thread per model owns the
 * scheduler and the {@link dev.vlm.scheduler.loop.Engine}; everyone else talks to it through
 * commands.
 *
 * <p>{@link dev.vlm.scheduler.loop.EngineLoop#submit} checks what it can at once (a request that
 * could never run, a full queue, a duplicate id, a closed loop are refused with an exception the
 * caller can map to a status) and enqueues an Add; {@link
 * dev.vlm.scheduler.loop.EngineLoop#abort} enqueues an Abort. The loop drains commands between
 * steps, parks when there is nothing to do, and per step: schedules, tells the engine about
 * preemptions and finishes, executes, updates, and hands tokens and finishes to each request's
 * {@link dev.vlm.scheduler.loop.RequestListener} on the loop thread.
 *
 * <p>Failure handling: an exception from the engine fails only the requests of that step; a
 * listener or hook that throws is logged and ignored; a failure of the loop itself ends every
 * request with {@code ERROR}. Every submitted request gets exactly one finish, including those
 * racing with shutdown.
 */
package dev.vlm.scheduler.loop;
