package dev.vlm.client.cli;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns failures into one {@code error: ...} line on stderr and an exit code. A failed call
 * prints {@code error: <STATUS_CODE>: <description>}.
 */
final class ErrorReporter implements IExecutionExceptionHandler, IParameterExceptionHandler {
  @Override
  public int handleExecutionException(
      Exception exception, CommandLine command, ParseResult parseResult) {
    PrintWriter err = command.getErr();
    int exitCode;
    if (exception instanceof StatusRuntimeException statusError) {
      err.println("error: " + describe(statusError.getStatus()));
      exitCode = ExitCodes.forStatus(statusError.getStatus().getCode());
    } else if (exception instanceof InputException
        || exception instanceof IllegalArgumentException
        || exception instanceof IllegalStateException) {
      err.println("error: " + exception.getMessage());
      exitCode = ExitCodes.USAGE;
    } else {
      err.println("error: unexpected failure: " + exception);
      exitCode = ExitCodes.SERVER_FAILURE;
    }
    err.flush();
    return exitCode;
  }

  @Override
  public int handleParseException(ParameterException exception, String[] args) {
    CommandLine command = exception.getCommandLine();
    PrintWriter err = command.getErr();
    err.println("error: " + exception.getMessage());
    err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for more.");
    err.flush();
    return ExitCodes.USAGE;
  }

  /** {@code CODE: description}, adding the cause when it says more (e.g. connection refused). */
  static String describe(Status status) {
    StringBuilder line = new StringBuilder(status.getCode().name());
    if (status.getDescription() != null) {
      line.append(": ").append(status.getDescription());
    }
    Throwable cause = status.getCause();
    // A status cause repeats the status itself (e.g. a cancellation); other causes add detail.
    boolean causeAddsDetail =
        cause != null
            && cause.getMessage() != null
            && !(cause instanceof StatusRuntimeException)
            && !(cause instanceof StatusException);
    if (causeAddsDetail) {
      line.append(" (").append(cause.getMessage()).append(')');
    }
    return line.toString();
  }
}
