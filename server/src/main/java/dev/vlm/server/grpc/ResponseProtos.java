package dev.vlm.server.grpc;

import dev.vlm.api.v1.FinishReason;
import dev.vlm.api.v1.Usage;

/** Generation results in their vlm.v1 wire form. */
final class ResponseProtos {
  private ResponseProtos() {}

  static FinishReason finishReason(dev.vlm.server.generation.FinishReason reason) {
    return switch (reason) {
      case EOS -> FinishReason.FINISH_REASON_EOS;
      case LENGTH -> FinishReason.FINISH_REASON_LENGTH;
      case STOP -> FinishReason.FINISH_REASON_STOP;
    };
  }

  static Usage usage(dev.vlm.server.generation.Usage usage) {
    return Usage.newBuilder()
        .setPromptTokens(usage.promptTokens())
        .setCompletionTokens(usage.completionTokens())
        .setImageTokens(usage.imageTokens())
        .build();
  }
}
