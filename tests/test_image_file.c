// SPDX-License-Identifier: MIT
/*
 * test_image_file.c: reading the guest image file: a regular file comes
 * back whole; a FIFO, a device or a directory is refused at once (never
 * waited on); a file shorter than its size said is a clean refusal.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm.h"

static struct vmm_image_file f;
static char why[256];

TestSuite(image_file, .timeout = 10); /* a FIFO used to block for ever */

Test(image_file, a_regular_file_is_read_whole)
{
	struct stat st;

	cr_assert_eq(stat("Makefile", &st), 0);
	cr_assert_eq(vmm_image_read("Makefile", &f, why, sizeof(why)), 0, "%s",
		     why);
	cr_assert_eq(f.len, (size_t)st.st_size);
	cr_assert_eq(memcmp(f.data, "# SPDX", 6), 0);
	vmm_image_free(&f);
	cr_assert_null(f.data);
}

Test(image_file, a_fifo_is_refused_without_blocking)
{
	char dir[] = "/tmp/minivmm-fifo-XXXXXX", path[64];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/guest", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(vmm_image_read(path, &f, why, sizeof(why)),
		     VMM_STATUS_NOINPUT);
	unlink(path);
	rmdir(dir);
	cr_assert_not_null(strstr(why, "is not a regular file"), "%s", why);
	cr_assert_null(f.data);
}

Test(image_file, a_device_is_refused)
{
	cr_assert_eq(vmm_image_read("/dev/null", &f, why, sizeof(why)),
		     VMM_STATUS_NOINPUT);
	cr_assert_not_null(strstr(why, "is not a regular file"), "%s", why);
}

Test(image_file, a_directory_is_refused)
{
	cr_assert_eq(vmm_image_read("/tmp", &f, why, sizeof(why)),
		     VMM_STATUS_NOINPUT);
}

Test(image_file, a_missing_file_is_refused)
{
	cr_assert_eq(
	    vmm_image_read("/nonexistent/guest.elf", &f, why, sizeof(why)),
	    VMM_STATUS_NOINPUT);
	cr_assert_not_null(strstr(why, "cannot open guest"), "%s", why);
}

/*
 * A sysfs attribute says 4096 bytes and holds a few: the same as a file
 * truncated between fstat and read, which used to be a SIGBUS (mmap).
 */
Test(image_file, a_file_shorter_than_it_said_is_refused)
{
	const char *path = "/sys/kernel/uevent_seqnum";
	struct stat st;

	if (stat(path, &st) < 0 || st.st_size != 4096)
		cr_skip_test("SKIPPED: no sysfs attribute to read here");
	cr_assert_eq(vmm_image_read(path, &f, why, sizeof(why)),
		     VMM_STATUS_NOINPUT);
	cr_assert_not_null(strstr(why, "changed while it was read"), "%s", why);
	cr_assert_null(f.data);
}
