// SPDX-License-Identifier: MIT
/*
 * cmdline.c: look up words on the guest command line that the loader left
 * in memory (start_info.cmdline_paddr). Words are separated by spaces; a
 * word is "name" or "name=value". The string is read in place, never
 * copied or changed.
 */
#include "guest.h"

static const char *cmdline = "";

void cmdline_init(const char *s)
{
	cmdline = s ? s : "";
}

const char *cmdline_get(void)
{
	return cmdline;
}

/*
 * Find the word whose name is (name). Returns a pointer just past the
 * name (at '=', ' ' or NUL), or NULL.
 */
static const char *find(const char *name)
{
	size_t n = strlen(name);
	const char *p = cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *word = p;

		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - word) >= n && memcmp(word, name, n) == 0 &&
		    (word[n] == '=' || word[n] == ' ' || word[n] == '\0'))
			return word + n;
	}
	return NULL;
}

bool cmdline_has(const char *name)
{
	return find(name) != NULL;
}

int cmdline_value(const char *name, const char **val)
{
	const char *p = find(name);
	int n = 0;

	if (!p || *p != '=')
		return -1;
	*val = ++p;
	while (p[n] && p[n] != ' ')
		n++;
	return n;
}

bool cmdline_is(const char *name, const char *value)
{
	const char *v;
	int n = cmdline_value(name, &v);

	return n >= 0 && (size_t)n == strlen(value) &&
	       memcmp(v, value, (size_t)n) == 0;
}

bool cmdline_number(const char *name, uint64_t *out)
{
	const char *v;
	int n = cmdline_value(name, &v);
	uint64_t x = 0;

	if (n <= 0 || n > 19)
		return false;
	for (int i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}
