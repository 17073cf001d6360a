package io.headprune.storage;

import io.headprune.problem.InvalidInputException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What a zip's end records declare, read before its central directory is: a zip library parses the
 * whole directory when it opens the file, so a count of 600,000 entries must be refused first.
 * APPNOTE 4.3.16 (end of central directory) and 4.3.14–15 (its Zip64 form and locator).
 */
final class ZipDirectory {

  private static final int END = 0x06054b50;
  private static final int END_SIZE = 22;
  private static final int LOCATOR = 0x07064b50;
  private static final int LOCATOR_SIZE = 20;
  private static final int END64 = 0x06064b50;

  private ZipDirectory() {}

  /** The number of entries the zip's end record declares (its Zip64 record when it has one). */
  static long entries(Path zip) throws IOException {
    try (FileChannel file = FileChannel.open(zip, StandardOpenOption.READ)) {
      long size = file.size();
      // the end record sits within the last 22 + 65,535 (comment) bytes
      int tail = (int) Math.min(size, END_SIZE + 0xFFFF);
      ByteBuffer bytes = read(file, size - tail, tail);
      for (int at = tail - END_SIZE; at >= 0; at--) {
        if (bytes.getInt(at) != END) {
          continue;
        }
        int total = Short.toUnsignedInt(bytes.getShort(at + 10));
        long locatorAt = size - tail + at - LOCATOR_SIZE;
        if (total != 0xFFFF || locatorAt < 0) {
          return total;
        }
        ByteBuffer locator = read(file, locatorAt, LOCATOR_SIZE);
        if (locator.getInt(0) != LOCATOR) {
          return total;
        }
        long end64 = locator.getLong(8);
        if (end64 < 0 || end64 > size - 56) {
          throw new InvalidInputException("archive's Zip64 end record points outside the file");
        }
        ByteBuffer record = read(file, end64, 56);
        if (record.getInt(0) != END64) {
          throw new InvalidInputException("archive's Zip64 end record is missing");
        }
        long total64 = record.getLong(32);
        return total64 < 0 ? Long.MAX_VALUE : total64;
      }
      throw new InvalidInputException("archive has no zip end-of-central-directory record");
    }
  }

  private static ByteBuffer read(FileChannel file, long at, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buffer.hasRemaining()) {
      if (file.read(buffer, at + buffer.position()) < 0) {
        throw new EOFException();
      }
    }
    return buffer.flip();
  }
}
