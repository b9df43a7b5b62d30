package dev.vlm.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.server.errors.InvalidArgumentException;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.generation.GenerationRequest;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Priority and tenant travel with the parsed request; priority is range-checked. */
class RequestParserPriorityTest {
  private final RequestParser parser = new RequestParser(new ImageDecoder(1 << 20, 1 << 20), 4);

  @ParameterizedTest
  @ValueSource(ints = {-100, -1, 0, 1, 100})
  void aPriorityInRangeIsKept(int priority) {
    GenerationRequest parsed = parser.parse(request().setPriority(priority).build(), "acme", OptionalLong.empty());

    assertThat(parsed.priority()).isEqualTo(priority);
    assertThat(parsed.tenant()).isEqualTo("acme");
    assertThat(parsed.requestId()).isEqualTo("r7");
  }

  @Test
  void anUnsetPriorityIsZero() {
    assertThat(parser.parse(request().build(), "default", OptionalLong.empty()).priority()).isZero();
  }

  @ParameterizedTest
  @ValueSource(ints = {-101, 101, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void aPriorityOutOfRangeIsInvalidArgumentNamingTheField(int priority) {
    assertThatThrownBy(() -> parser.parse(request().setPriority(priority).build(), "default", OptionalLong.empty()))
        .isInstanceOfSatisfying(
            InvalidArgumentException.class,
            e -> {
              assertThat(e.field()).isEqualTo("priority");
              assertThat(e.getMessage()).contains("[-100, 100]").contains(Integer.toString(priority));
            });
  }

  private static GenerateRequest.Builder request() {
    return GenerateRequest.newBuilder().setModel("m").setPrompt("Hello").setRequestId("r7");
  }
}
