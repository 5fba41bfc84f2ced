package io.cfork;

/**
 * The pool reached its refork limit and stopped reforking.
 *
 * @param limit the limit that was reached
 * @param snapshot the pool at that moment
 */
public record ReforkLimitReached(PoolSnapshot.Limit limit, PoolSnapshot snapshot) {
}
