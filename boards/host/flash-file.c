/*
 * The host board's flash partitions as files (native x-cli-lin build): each partition is a file
 * of exactly its size holding the raw image, as esptool would read it back from a board. NOR
 * semantics as on the ESP32's SPI flash (W25Q32JV §8.2.14 Page Program: programming only clears
 * bits; §8.2.15 Sector Erase: a whole sector back to 0xFF), so a journal that works here relies on
 * nothing a real chip would not give. Every program and erase reaches the disk (fdatasync) before
 * it returns, as a flash operation is durable once the chip reports it done; killing the process
 * at any point is a power cut between two operations.
 *
 * Host functions, used by flash-file.ts:
 *   xs_flash_file_open(path, byteLength) → fd    a new or empty file becomes an erased partition
 *   xs_flash_file_read(fd, byteLength, byteOffset) → ArrayBuffer
 *   xs_flash_file_program(fd, ArrayBuffer, byteOffset)
 *   xs_flash_file_erase(fd, byteOffset, byteLength)
 *   xs_flash_file_close(fd)
 */
#include "xs.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void readExactly(xsMachine* the, int fd, uint8_t* bytes, size_t length, off_t offset)
{
	while (length > 0) {
		ssize_t got = pread(fd, bytes, length, offset);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			xsUnknownError("flash-file: read %zu bytes at %lld: %s", length, (long long)offset, got < 0 ? strerror(errno) : "past the end");
		bytes += got;
		length -= (size_t)got;
		offset += got;
	}
}

static void writeDurably(xsMachine* the, int fd, const uint8_t* bytes, size_t length, off_t offset)
{
	while (length > 0) {
		ssize_t put = pwrite(fd, bytes, length, offset);
		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			xsUnknownError("flash-file: write %zu bytes at %lld: %s", length, (long long)offset, put < 0 ? strerror(errno) : "nothing written");
		bytes += put;
		length -= (size_t)put;
		offset += put;
	}
	if (fdatasync(fd) != 0)
		xsUnknownError("flash-file: fdatasync: %s", strerror(errno));
}

static int toFd(xsMachine* the, xsSlot* slot)
{
	int fd = xsToInteger(*slot);
	if (fd < 0)
		xsUnknownError("flash-file: closed");
	return fd;
}

static off_t toRange(xsMachine* the, int fd, xsIntegerValue byteOffset, xsIntegerValue byteLength)
{
	struct stat info;
	if (fstat(fd, &info) != 0)
		xsUnknownError("flash-file: fstat: %s", strerror(errno));
	if (byteOffset < 0 || byteLength < 0 || (off_t)byteOffset + byteLength > info.st_size)
		xsRangeError("flash-file: %d bytes at %d outside the %lld-byte partition", (int)byteLength, (int)byteOffset, (long long)info.st_size);
	return (off_t)byteOffset;
}

void xs_flash_file_open(xsMachine* the)
{
	xsStringValue path = xsToString(xsArg(0));
	xsIntegerValue byteLength = xsToInteger(xsArg(1));
	struct stat info;
	int fd;
	if (byteLength <= 0)
		xsRangeError("flash-file: partition size %d", (int)byteLength);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		xsUnknownError("flash-file: open %s: %s", path, strerror(errno));
	if (fstat(fd, &info) != 0) {
		close(fd);
		xsUnknownError("flash-file: fstat %s: %s", path, strerror(errno));
	}
	if (info.st_size == 0) {
		uint8_t* erased = malloc((size_t)byteLength);
		if (!erased) {
			close(fd);
			xsUnknownError("flash-file: no memory for %d bytes", (int)byteLength);
		}
		memset(erased, 0xFF, (size_t)byteLength);
		xsTry {
			writeDurably(the, fd, erased, (size_t)byteLength, 0);
		}
		xsCatch {
			free(erased);
			close(fd);
			xsThrow(xsException);
		}
		free(erased);
	}
	else if (info.st_size != byteLength) {
		close(fd);
		xsUnknownError("flash-file: %s holds %lld bytes, not a %d-byte partition image", path, (long long)info.st_size, (int)byteLength);
	}
	xsResult = xsInteger(fd);
}

void xs_flash_file_read(xsMachine* the)
{
	int fd = toFd(the, &xsArg(0));
	xsIntegerValue byteLength = xsToInteger(xsArg(1));
	off_t offset = toRange(the, fd, xsToInteger(xsArg(2)), byteLength);
	xsResult = xsArrayBuffer(NULL, byteLength);
	readExactly(the, fd, xsToArrayBuffer(xsResult), (size_t)byteLength, offset);
}

void xs_flash_file_program(xsMachine* the)
{
	int fd = toFd(the, &xsArg(0));
	xsIntegerValue byteLength = xsGetArrayBufferLength(xsArg(1));
	off_t offset = toRange(the, fd, xsToInteger(xsArg(2)), byteLength);
	uint8_t* cells = malloc(byteLength ? (size_t)byteLength : 1);
	if (!cells)
		xsUnknownError("flash-file: no memory for %d bytes", (int)byteLength);
	xsTry {
		const uint8_t* data = xsToArrayBuffer(xsArg(1));
		readExactly(the, fd, cells, (size_t)byteLength, offset);
		for (xsIntegerValue i = 0; i < byteLength; i++)
			cells[i] &= data[i];
		writeDurably(the, fd, cells, (size_t)byteLength, offset);
	}
	xsCatch {
		free(cells);
		xsThrow(xsException);
	}
	free(cells);
}

void xs_flash_file_erase(xsMachine* the)
{
	int fd = toFd(the, &xsArg(0));
	xsIntegerValue byteLength = xsToInteger(xsArg(2));
	off_t offset = toRange(the, fd, xsToInteger(xsArg(1)), byteLength);
	uint8_t* erased = malloc(byteLength ? (size_t)byteLength : 1);
	if (!erased)
		xsUnknownError("flash-file: no memory for %d bytes", (int)byteLength);
	memset(erased, 0xFF, (size_t)byteLength);
	xsTry {
		writeDurably(the, fd, erased, (size_t)byteLength, offset);
	}
	xsCatch {
		free(erased);
		xsThrow(xsException);
	}
	free(erased);
}

void xs_flash_file_close(xsMachine* the)
{
	close(toFd(the, &xsArg(0)));
}
