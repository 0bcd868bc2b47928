package dev.skein.llmgateway.governance;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fixed window a limit or budget counts in. A rate limit's ({@code renewal_period}, as MLflow writes it:
 * {@code minute}, {@code 2 hours}) is a span aligned to the epoch, so every replica finds the same window; a
 * budget's ({@code day}, {@code week}, {@code month}) is a UTC calendar day, ISO week (from Monday) or month.
 */
public sealed interface Window {

    /** The window {@code now} falls in: its first instant. */
    Instant start(Instant now);

    /** The first instant after the window that starts at {@code start}. */
    Instant end(Instant start);

    /** How the window is written in the configuration, and in counter names. */
    String spec();

    /**
     * What the {@code limits} library MLflow uses parses as a granularity: an optional count and second, minute,
     * hour, day, month (30 days) or year (365 days), singular or plural.
     */
    Pattern RENEWAL_PERIOD =
            Pattern.compile("(\\d{1,7})?\\s*(second|minute|hour|day|month|year)s?", Pattern.CASE_INSENSITIVE);

    /** A {@code renewal_period}; empty when it is not one. */
    static java.util.Optional<Window> renewalPeriod(String value) {
        Matcher m = RENEWAL_PERIOD.matcher(value.strip());
        if (!m.matches()) {
            return java.util.Optional.empty();
        }
        long count = m.group(1) == null ? 1 : Long.parseLong(m.group(1));
        long unit =
                switch (m.group(2).toLowerCase(Locale.ROOT)) {
                    case "second" -> 1;
                    case "minute" -> 60;
                    case "hour" -> 3600;
                    case "day" -> 86_400;
                    case "month" -> 30 * 86_400;
                    default -> 365 * 86_400;
                };
        if (count < 1 || count > 1_000_000) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Span(count * unit, value.strip()));
    }

    /** A budget's period: {@code day}, {@code week} or {@code month} (UTC calendar); empty otherwise. */
    static java.util.Optional<Window> calendar(String value) {
        try {
            return java.util.Optional.of(
                    new Calendar(Calendar.Unit.valueOf(value.strip().toUpperCase(Locale.ROOT))));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** {@code seconds} long, aligned to the epoch. */
    record Span(long seconds, String spec) implements Window {
        @Override
        public Instant start(Instant now) {
            return Instant.ofEpochSecond(Math.floorDiv(now.getEpochSecond(), seconds) * seconds);
        }

        @Override
        public Instant end(Instant start) {
            return start.plusSeconds(seconds);
        }
    }

    /** A UTC calendar day, ISO week or month. */
    record Calendar(Unit unit) implements Window {
        public enum Unit {
            DAY,
            WEEK,
            MONTH
        }

        @Override
        public Instant start(Instant now) {
            ZonedDateTime day = now.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS);
            return switch (unit) {
                case DAY -> day.toInstant();
                case WEEK ->
                    day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toInstant();
                case MONTH -> day.withDayOfMonth(1).toInstant();
            };
        }

        @Override
        public Instant end(Instant start) {
            ZonedDateTime s = start.atZone(ZoneOffset.UTC);
            return switch (unit) {
                case DAY -> s.plusDays(1).toInstant();
                case WEEK -> s.plusWeeks(1).toInstant();
                case MONTH -> s.plusMonths(1).toInstant();
            };
        }

        @Override
        public String spec() {
            return unit.name().toLowerCase(Locale.ROOT);
        }
    }
}
