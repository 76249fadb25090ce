// SPDX-License-Identifier: MIT
/*
 * gdb_packet.c: the GDB remote protocol's framing, "$payload#xx", one byte
 * at a time (so a packet split across reads, or two in one read, is the
 * same), and the hex the payloads are written in. Pure: the tests and the
 * fuzzer drive it directly. Nothing the peer sends can make it write past
 * its buffer: an overlong packet is counted to its end and refused.
 */
#include <string.h>

#include "gdb.h"

enum { RX_IDLE, RX_DATA, RX_CSUM1, RX_CSUM2 };

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->sum = 0;
	rx->escape = false;
	rx->overlong = false;
	rx->len = 0;
	rx->buf[0] = '\0';
}

int gdb_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A payload byte, unescaped, kept if there is room. */
static void rx_keep(struct gdb_rx *rx, uint8_t c)
{
	if (rx->escape) {
		c ^= 0x20;
		rx->escape = false;
	} else if (c == '}') {
		rx->escape = true;
		return;
	}
	if (rx->len < GDB_PACKET_MAX)
		rx->buf[rx->len++] = (char)c;
	else
		rx->overlong = true;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int d;

	switch (rx->state) {
	case RX_IDLE:
		if (c == '$') {
			gdb_rx_init(rx);
			rx->state = RX_DATA;
		}
		return c == '+'	   ? GDB_RX_ACK
		       : c == '-'  ? GDB_RX_NAK
		       : c == 0x03 ? GDB_RX_INTERRUPT
				   : GDB_RX_NONE;
	case RX_DATA:
		if (c == '#') {
			rx->state = RX_CSUM1;
			return GDB_RX_NONE;
		}
		if (c == '$') { /* a new packet: the old one was cut */
			gdb_rx_init(rx);
			rx->state = RX_DATA;
			return GDB_RX_NONE;
		}
		rx->sum = (uint8_t)(rx->sum + c);
		rx_keep(rx, c);
		return GDB_RX_NONE;
	case RX_CSUM1:
		d = gdb_hex_digit((char)c);
		rx->check = (uint8_t)(d < 0 ? 0xff : d);
		rx->state = d < 0 ? RX_IDLE : RX_CSUM2;
		return d < 0 ? GDB_RX_BAD : GDB_RX_NONE;
	default: /* RX_CSUM2 */
		d = gdb_hex_digit((char)c);
		rx->state = RX_IDLE;
		rx->buf[rx->len] = '\0';
		if (d < 0 || (uint8_t)(rx->check << 4 | d) != rx->sum)
			return GDB_RX_BAD;
		if (rx->overlong || rx->escape)
			return GDB_RX_OVERLONG;
		return GDB_RX_PACKET;
	}
}

size_t gdb_frame(const char *payload, size_t len, char *out, size_t room)
{
	static const char hex[] = "0123456789abcdef";
	size_t at = 0;
	uint8_t sum = 0;

	if (room < 4)
		return 0;
	out[at++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)payload[i];
		bool esc = c == '#' || c == '$' || c == '}' || c == '*';

		if (at + (esc ? 2 : 1) + 3 > room)
			return 0;
		if (esc) {
			out[at++] = '}';
			sum = (uint8_t)(sum + '}');
			c ^= 0x20;
		}
		out[at++] = (char)c;
		sum = (uint8_t)(sum + c);
	}
	out[at++] = '#';
	out[at++] = hex[sum >> 4];
	out[at++] = hex[sum & 15];
	return at;
}

void gdb_hex_encode(const void *bytes, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

bool gdb_hex_decode(const char *hex, size_t n, void *bytes)
{
	uint8_t *b = bytes;

	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hex_digit(hex[2 * i]);
		int lo = hi < 0 ? -1 : gdb_hex_digit(hex[2 * i + 1]);

		if (lo < 0)
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool gdb_hex_number(const char **s, uint64_t *v)
{
	unsigned n = 0;
	int d;

	*v = 0;
	while ((d = gdb_hex_digit((*s)[n])) >= 0) {
		if (++n > 16)
			return false;
		*v = *v << 4 | (uint64_t)d;
	}
	*s += n;
	return n > 0;
}
