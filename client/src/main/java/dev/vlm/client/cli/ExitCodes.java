package dev.vlm.client.cli;

import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code vlm} command's exit codes: one per broad class of failure. */
final class ExitCodes {
  static final int OK = 0;
  /** The server failed (INTERNAL, UNKNOWN, UNIMPLEMENTED, DATA_LOSS, ...). */
  static final int SERVER_FAILURE = 1;
  /** The command line itself is wrong: unknown flag, bad value, unreadable image file. */
  static final int USAGE = 2;
  /** The server rejected the request (INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE). */
  static final int REJECTED = 3;
  /** No such model (NOT_FOUND). */
  static final int NOT_FOUND = 4;
  /** The server cannot serve now; retrying later may work (UNAVAILABLE, RESOURCE_EXHAUSTED). */
  static final int UNAVAILABLE = 5;
  /** The --timeout passed (DEADLINE_EXCEEDED). */
  static final int TIMEOUT = 6;
  /** The caller is not allowed (UNAUTHENTICATED, PERMISSION_DENIED). */
  static final int DENIED = 7;
  /** The call was cancelled, normally by Ctrl-C; 128 + SIGINT, as shells report it. */
  static final int CANCELLED = 130;

  /** The exit code list shown in {@code --help}, in order. */
  static Map<String, String> help() {
    Map<String, String> help = new LinkedHashMap<>();
    help.put(Integer.toString(OK), "success");
    help.put(Integer.toString(SERVER_FAILURE), "the server failed (INTERNAL, UNKNOWN, ...)");
    help.put(Integer.toString(USAGE), "bad command line or unreadable input file");
    help.put(Integer.toString(REJECTED), "the server rejected the request (INVALID_ARGUMENT)");
    help.put(Integer.toString(NOT_FOUND), "no such model (NOT_FOUND)");
    help.put(
        Integer.toString(UNAVAILABLE),
        "cannot serve now, retry later (UNAVAILABLE, RESOURCE_EXHAUSTED)");
    help.put(Integer.toString(TIMEOUT), "the --timeout passed (DEADLINE_EXCEEDED)");
    help.put(Integer.toString(DENIED), "not allowed (UNAUTHENTICATED, PERMISSION_DENIED)");
    help.put(Integer.toString(CANCELLED), "cancelled (Ctrl-C)");
    return help;
  }

  private ExitCodes() {}

  /** Returns the exit code for a call that ended with {@code code}. */
  static int forStatus(Status.Code code) {
    return switch (code) {
      case OK -> OK;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> REJECTED;
      case NOT_FOUND -> NOT_FOUND;
      case UNAVAILABLE, RESOURCE_EXHAUSTED, ABORTED -> UNAVAILABLE;
      case DEADLINE_EXCEEDED -> TIMEOUT;
      case UNAUTHENTICATED, PERMISSION_DENIED -> DENIED;
      case CANCELLED -> CANCELLED;
      case UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS, ALREADY_EXISTS -> SERVER_FAILURE;
    };
  }
}
