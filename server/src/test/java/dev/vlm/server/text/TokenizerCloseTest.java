package dev.vlm.server.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vlm.server.TestData;
import dev.vlm.server.errors.ModelUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing a tokenizer while other threads encode and decode (a model unloading while requests
 * are still being prepared) never frees memory the native code is reading: calls in progress
 * finish, later ones are refused with a status the client can retry on.
 */
class TokenizerCloseTest {
  @Test
  void closeWaitsForCallsInProgressAndLaterCallsAreRefused() throws Exception {
    Tokenizer tokenizer = Tokenizer.load(TestData.tinyLlava());
    String text = "USER: <image>\nDescribe the picture in many words, please. ASSISTANT:".repeat(50);
    ExecutorService threads = Executors.newFixedThreadPool(4);
    try {
      List<Future<Integer>> callers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        callers.add(threads.submit(() -> {
          int done = 0;
          while (true) {
            try {
              int[] ids = tokenizer.encode(text);
              tokenizer.decode(ids, false);
              done++;
            } catch (ModelUnavailableException e) {
              return done;
            }
          }
        }));
      }
      Thread.sleep(200);
      tokenizer.close();
      for (Future<Integer> caller : callers) {
        assertThat(caller.get(10, TimeUnit.SECONDS)).isPositive();
      }
    } finally {
      threads.shutdownNow();
    }
    assertThatThrownBy(() -> tokenizer.encode("hello")).isInstanceOf(ModelUnavailableException.class)
        .hasMessageContaining("unloaded");
    tokenizer.close();
  }
}
