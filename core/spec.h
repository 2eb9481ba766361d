/*
 * spec.h — backend strings ("exec:...", "pty:/dev/pts/7",
 * "tty:/dev/ttyUSB0,9600,7e1", "udev:ID_SERIAL_SHORT=A9XK3,115200,flow=rtscts",
 * "unix:/run/vm.sock", "libvirt:qemu:///system#web1/serial0") parsed into
 * parts. Not for opening anything: backend_*.c do that.
 */
#ifndef CONSOLEFS_SPEC_H
#define CONSOLEFS_SPEC_H

enum spec_kind { SPEC_EXEC, SPEC_PTY, SPEC_TTY, SPEC_UDEV, SPEC_UNIX, SPEC_LIBVIRT };

#include "core/line.h"

#define SPEC_DEFAULT_BAUD LINE_DEFAULT_BAUD

struct spec {
	enum spec_kind	 kind;
	char		*text;		/* the whole string, as given */
	char		*path;		/* pty, tty, unix */
	char	       **argv;		/* exec */
	char	       **match;		/* udev: "KEY=VALUE" strings, NULL-terminated */
	struct line	 line;		/* tty, udev: speed, framing, flow, hupcl */
	char		*uri;		/* libvirt: the connection URI */
	char		*domain;	/* libvirt: the guest's name */
	char		*alias;		/* libvirt: the device alias (serial0) */
};

/* Parse S. NULL with errno EINVAL and *CAUSE (malloc'd) when it is not a
 * backend string. A bare "/dev/..." path means pty: under /dev/pts/, else
 * tty: (the ln -s form). tty: and udev: take line settings after a comma
 * (line.h); a tty: path ends at the first comma. */
struct spec *spec_parse(const char *s, char **cause);

/* Free a parsed backend string (NULL is ok). */
void spec_free(struct spec *sp);

/* The scheme word of KIND ("exec", "pty", ...). */
const char *spec_kind_name(enum spec_kind kind);

#endif
