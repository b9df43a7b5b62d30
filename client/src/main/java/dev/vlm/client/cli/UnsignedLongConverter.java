package dev.vlm.client.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a number in 0 .. 2^64-1, the range of the API's uint64 fields. */
final class UnsignedLongConverter implements ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    try {
      return Long.parseUnsignedLong(value.trim());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a number in 0.." + "2^64-1");
    }
  }
}
