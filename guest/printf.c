// SPDX-License-Identifier: MIT
/*
 * printf.c: a small printf for the guest: %c %s %d %i %u %x %p %%, the
 * flags 0, - and #, a field width, and the l, ll and z length modifiers.
 * One formatter writes to a sink: the console (in chunks, so a line goes
 * out in one console_write), or a bounded buffer.
 */
#include "guest.h"

struct sink {
	char *buf;   /* NULL: the console */
	size_t size; /* buffer capacity, NUL included */
	size_t len;  /* characters produced so far */
	size_t held; /* console: characters waiting in chunk */
	char chunk[120];
};

static void flush(struct sink *s)
{
	console_write(s->chunk, s->held);
	s->held = 0;
}

static void emit(struct sink *s, char c)
{
	if (!s->buf) {
		s->chunk[s->held++] = c;
		if (s->held == sizeof(s->chunk))
			flush(s);
	} else if (s->len + 1 < s->size) {
		s->buf[s->len] = c;
	}
	s->len++;
}

static void emit_padded(struct sink *s, const char *str, size_t n,
			unsigned width, bool left, char pad)
{
	size_t fill = width > n ? width - n : 0;

	if (!left)
		while (fill--)
			emit(s, pad);
	while (n--)
		emit(s, *str++);
	if (left)
		while (fill--)
			emit(s, ' ');
}

/* Digits of (v) in (base), most significant first, into (out). */
static size_t utoa(uint64_t v, unsigned base, char *out)
{
	char tmp[20];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		out[i++] = tmp[--n];
	return i;
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		char num[24], pad = ' ';
		bool left = false, alt = false;
		unsigned width = 0, lng = 0;
		uint64_t u;
		int64_t v;
		size_t n;

		if (*fmt != '%') {
			emit(s, *fmt);
			continue;
		}
		for (fmt++; *fmt == '0' || *fmt == '-' || *fmt == '#'; fmt++) {
			if (*fmt == '0')
				pad = '0';
			else if (*fmt == '-')
				left = true;
			else
				alt = true;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (unsigned)(*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		switch (*fmt) {
		case 'c':
			num[0] = (char)va_arg(ap, int);
			emit_padded(s, num, 1, width, left, ' ');
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);

			if (!str)
				str = "(null)";
			emit_padded(s, str, strlen(str), width, left, ' ');
			break;
		}
		case 'd':
		case 'i':
			v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			n = 0;
			if (v < 0)
				num[n++] = '-';
			u = v < 0 ? -(uint64_t)v : (uint64_t)v;
			n += utoa(u, 10, num + n);
			emit_padded(s, num, n, width, left, pad);
			break;
		case 'u':
		case 'x':
			u = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			n = 0;
			if (alt && *fmt == 'x') {
				num[n++] = '0';
				num[n++] = 'x';
			}
			n += utoa(u, *fmt == 'u' ? 10 : 16, num + n);
			emit_padded(s, num, n, width, left, pad);
			break;
		case 'p':
			num[0] = '0';
			num[1] = 'x';
			n = 2 +
			    utoa((uintptr_t)va_arg(ap, void *), 16, num + 2);
			emit_padded(s, num, n, width, left, ' ');
			break;
		case '%':
			emit(s, '%');
			break;
		default: /* unknown conversion: show it as written */
			emit(s, '%');
			if (!*fmt)
				return;
			emit(s, *fmt);
			break;
		}
	}
}

int vprintf(const char *fmt, va_list ap)
{
	struct sink s;

	s.buf = NULL;
	s.len = s.held = 0;
	format(&s, fmt, ap);
	flush(&s);
	return (int)s.len;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	struct sink s = {.buf = buf, .size = size, .len = 0};
	va_list ap;

	va_start(ap, fmt);
	format(&s, fmt, ap);
	va_end(ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}
