package dev.skein.common.paging;

import java.util.List;

/** One page of results; {@code nextPageToken} is null on the last page. */
public record ResultPage<T>(List<T> items, String nextPageToken) {}
