package io.prefstream.protocol.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson configuration every prefstream wire format uses. */
public final class Json {
  /**
   * Strict on input: duplicate keys, NaN and trailing garbage are errors, and nesting is capped well below
   * Jackson's default so hostile documents fail fast.
   */
  public static final ObjectMapper MAPPER = strict(64);

  /**
   * For the documents that get embedded in others: a preference event travels inside a training batch two levels
   * deeper, so an event may nest at most this deep for every batch holding it to stay readable by {@link #MAPPER}.
   */
  public static final int MAX_EVENT_NESTING = 56;

  /** Reads preference events: {@link #MAPPER}'s rules with the nesting capped at {@link #MAX_EVENT_NESTING}. */
  public static final ObjectMapper EVENT_READER = strict(MAX_EVENT_NESTING);

  private static ObjectMapper strict(int maxNesting) {
    return JsonMapper.builder(
            JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(maxNesting).build())
                .build())
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build();
  }

  private Json() {}
}
