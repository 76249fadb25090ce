// SPDX-License-Identifier: MIT
/*
 * image_file.c: read the guest image file into memory minivmm owns. The
 * path is the user's, and what it names is not trusted: a FIFO or a device
 * must be refused, not waited on (so the open never blocks), and a file
 * that changes size while it is read is a clean refusal, never a SIGBUS
 * (so the file is read, not mapped).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return status;
}

/* Read exactly (len) bytes from offset 0; false if the file ends first. */
static bool read_all(int fd, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, buf + *got, len - *got, (off_t)*got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		*got += (size_t)n;
	}
	return true;
}

int vmm_image_read(const char *path, struct vmm_image_file *f, char *err,
		   size_t errlen)
{
	struct stat st;
	size_t got;
	int e, fd;

	*f = (struct vmm_image_file){0};
	/* O_NONBLOCK: opening a FIFO with no writer must not wait. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, VMM_STATUS_NOINPUT,
			    "cannot open guest %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return fail(err, errlen, VMM_STATUS_NOINPUT,
			    "cannot stat guest %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, errlen, VMM_STATUS_NOINPUT,
			    "guest %s is not a regular file", path);
	}
	if (st.st_size == 0 || (uint64_t)st.st_size > VMM_IMAGE_MAX) {
		close(fd);
		return fail(err, errlen, VMM_STATUS_IMAGE,
			    st.st_size ? "guest %s: %lld bytes, more than "
					 "the %llu a guest image may have"
				       : "guest %s: empty file",
			    path, (long long)st.st_size,
			    (unsigned long long)VMM_IMAGE_MAX);
	}
	f->len = (size_t)st.st_size;
	f->data = malloc(f->len);
	if (!f->data) {
		close(fd);
		return fail(err, errlen, VMM_STATUS_HOST,
			    "guest %s: cannot allocate %zu bytes", path,
			    f->len);
	}
	errno = 0;
	if (!read_all(fd, f->data, f->len, &got)) {
		e = errno;
		close(fd);
		vmm_image_free(f);
		if (got < f->len && e == 0)
			return fail(err, errlen, VMM_STATUS_NOINPUT,
				    "guest %s changed while it was read: %zu "
				    "of %zu bytes",
				    path, got, (size_t)st.st_size);
		return fail(err, errlen, VMM_STATUS_NOINPUT,
			    "cannot read guest %s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

void vmm_image_free(struct vmm_image_file *f)
{
	free(f->data);
	f->data = NULL;
}
