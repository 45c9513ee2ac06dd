/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The artifacts as users meet them: `make install` / `make uninstall` into a
 * temporary DESTDIR (layout, modes, baretpm.pc used by a program built outside
 * the tree, the p11-kit module file); the module's exported symbols and
 * shared-library dependencies; a program linked with -static against
 * libbaretpm.a that signs on a swtpm; p11-kit, p11tool and p11-kit-proxy
 * finding the installed module through a p11-kit module file.
 *
 * Runs make in BTPM_SRCDIR with the build directory of BTPM_CLI, so it
 * installs what the suites test (build/ or build-asan/).
 */
#include <check.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "run.h"

/* a program linked with libbaretpm.a needs the runtimes the library was built with */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZE " -fsanitize=address,undefined"
#else
#define SANITIZE ""
#endif

#define UNPRIVILEGED "65534" /* nobody: p11-kit ignores user configuration when run as root */

static char out[1 << 17], err[1 << 15];
static char build[512];  /* BUILD= for make: the directory of BTPM_CLI */
static char libsub[128]; /* "lib/x86_64-linux-gnu" (multiarch) or "lib" */
static struct btpm_test_sim sim;

__attribute__((format(printf, 2, 3))) static int sh(int timeout_s, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)sizeof(cmd));
	return btpm_test_sh(cmd, timeout_s, out, sizeof(out), err, sizeof(err));
}

#define SH_OK(timeout, ...)                                                                        \
	do {                                                                                       \
		int rc_ = sh(timeout, __VA_ARGS__);                                                \
		ck_assert_msg(rc_ == 0, "exit %d: %.300s\nstdout:\n%.1500s\nstderr:\n%.1500s", rc_,  \
			      #__VA_ARGS__, out, err);                                             \
	} while (0)

#define assert_has(hay, needle) \
	ck_assert_msg(strstr((hay), (needle)), "missing '%s' in:\n%.3000s", (needle), (hay))

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
}

static const char *src(void)
{
	return btpm_test_srcdir();
}

/* make TARGET ARGS in the source tree, untouched by the make that may be running us. */
__attribute__((format(printf, 1, 2))) static void make(const char *fmt, ...)
{
	char args[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	SH_OK(300,
	      "cd '%s' && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory "
	      "BUILD='%s' %s",
	      src(), build, args);
}

/* Path of a built artifact. */
static void built(char *path, size_t cap, const char *name)
{
	if (build[0] == '/')
		snprintf(path, cap, "%s/%s", build, name);
	else
		snprintf(path, cap, "%s/%s/%s", src(), build, name);
}

static void suite_init(void)
{
	/* the build directory, relative to the source tree when it is inside it */
	const char *cli = btpm_test_cli();
	const char *slash = strrchr(cli, '/');
	size_t n = slash ? (size_t)(slash - cli) : 1;
	snprintf(build, sizeof(build), "%.*s", (int)n, slash ? cli : ".");
	size_t sl = strlen(src());
	if (!strncmp(build, src(), sl) && build[sl] == '/')
		memmove(build, build + sl + 1, strlen(build + sl + 1) + 1);
	/* LIBDIR as the Makefile computes it */
	if (btpm_test_sh("${CC:-cc} -print-multiarch", 30, out, sizeof(out), NULL, 0) == 0) {
		chomp(out);
		snprintf(libsub, sizeof(libsub), out[0] ? "lib/%s" : "lib", out);
	} else {
		snprintf(libsub, sizeof(libsub), "lib");
	}
}

static void tmpdir(char *dir, size_t cap, const char *what)
{
	snprintf(dir, cap, "/tmp/btpm-%s-XXXXXX", what);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}


/* Every file and link under dir as "MODE PATH" lines, sorted. */
static void tree(const char *dir, char *buf, size_t cap)
{
	SH_OK(30, "cd '%s' && find . \\( -type f -o -type l \\) -printf '%%m %%P\\n' | LC_ALL=C sort",
	      dir);
	size_t n = strlen(out);
	ck_assert_uint_lt(n, cap);
	memcpy(buf, out, n + 1);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The man pages the source tree has (another part of the tree writes them). */
static size_t man_pages(const char *section, char names[][64], size_t max)
{
	char pat[600];
	glob_t g;
	size_t n = 0;
	snprintf(pat, sizeof(pat), "%s/docs/*.%s", src(), section);
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && n < max; i++)
			snprintf(names[n++], 64, "%s", strrchr(g.gl_pathv[i], '/') + 1);
		globfree(&g);
	}
	return n;
}

/* What make install must put under PREFIX=/usr, exactly. */
static void expected_tree(char *buf, size_t cap)
{
	static char lines[32][640];
	const char *p[32];
	char man[8][64];
	size_t n = 0;
	snprintf(lines[n++], sizeof(lines[0]), "755 usr/bin/baretpm");
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/%s/libbaretpm.a", libsub);
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/%s/pkcs11/libbaretpm_pkcs11.so", libsub);
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/%s/pkgconfig/baretpm.pc", libsub);
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/include/baretpm/baretpm.h");
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/include/baretpm/baretpm_keys.h");
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/include/baretpm/baretpm_pkcs11.h");
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/include/baretpm/p11.h");
	snprintf(lines[n++], sizeof(lines[0]), "644 usr/share/p11-kit/modules/baretpm.module");
	size_t m = man_pages("1", man, 8);
	for (size_t i = 0; i < m; i++)
		snprintf(lines[n++], sizeof(lines[0]), "644 usr/share/man/man1/%s", man[i]);
	m = man_pages("7", man, 8);
	for (size_t i = 0; i < m; i++)
		snprintf(lines[n++], sizeof(lines[0]), "644 usr/share/man/man7/%s", man[i]);
	for (size_t i = 0; i < n; i++)
		p[i] = lines[i];
	qsort(p, n, sizeof(p[0]), cmp_str);
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		strncat(buf, p[i], cap - strlen(buf) - 1);
		strncat(buf, "\n", cap - strlen(buf) - 1);
	}
}

/* ---- make install / uninstall ------------------------------------------------------------ */

static const char user_prog[] =
	"#include <baretpm/baretpm.h>\n"
	"#include <baretpm/baretpm_keys.h>\n"
	"#include <baretpm/baretpm_pkcs11.h>\n"
	"#include <stdio.h>\n"
	"int main(void)\n"
	"{\n"
	"\tCK_FUNCTION_LIST *f;\n"
	"\tCK_INFO info;\n"
	"\tconst char *from;\n"
	"\tif (btpm_pkcs11_get_function_list(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK ||\n"
	"\t    f->C_GetInfo(&info) != CKR_OK || f->C_Finalize(NULL) != CKR_OK)\n"
	"\t\treturn 1;\n"
	"\tprintf(\"%.32s|%s\\n\", (const char *)info.manufacturerID, btpm_tcti_default(&from));\n"
	"\treturn 0;\n"
	"}\n";

START_TEST(install_layout)
{
	static char got[8192], want[8192];
	char base[64], dest[128], file[300], pc[300], env[1200];
	tmpdir(base, sizeof(base), "install");
	snprintf(dest, sizeof(dest), "%s/root", base);
	/* no TPM in this test case: installing never needs one */
	make("install DESTDIR='%s' PREFIX=/usr", dest);
	tree(dest, got, sizeof(got));
	expected_tree(want, sizeof(want));
	ck_assert_str_eq(got, want);

	/* what was built is what was installed */
	SH_OK(30,
	      "cd '%s' && cmp '%s/baretpm' '%s/usr/bin/baretpm' && "
	      "cmp '%s/libbaretpm.a' '%s/usr/%s/libbaretpm.a' && "
	      "cmp '%s/libbaretpm_pkcs11.so' '%s/usr/%s/pkcs11/libbaretpm_pkcs11.so' && "
	      "cmp pkcs11/baretpm_pkcs11.h '%s/usr/include/baretpm/baretpm_pkcs11.h'",
	      src(), build, dest, build, dest, libsub, build, dest, libsub, dest);

	/* the p11-kit module file names the installed module (not DESTDIR) */
	snprintf(file, sizeof(file), "%s/usr/share/p11-kit/modules/baretpm.module", dest);
	SH_OK(10, "grep -v '^#' '%s'", file);
	snprintf(want, sizeof(want), "module: /usr/%s/pkcs11/libbaretpm_pkcs11.so\n", libsub);
	assert_has(out, want);
	assert_has(out, "critical: no\n");

	/* pkg-config, pointed into the tree as a cross build would do */
	snprintf(pc, sizeof(pc), "%s/usr/%s/pkgconfig", dest, libsub);
	snprintf(env, sizeof(env), "PKG_CONFIG_LIBDIR='%s' PKG_CONFIG_SYSROOT_DIR='%s'", pc, dest);
	SH_OK(10, "%s pkg-config --cflags baretpm", env);
	chomp(out);
	snprintf(want, sizeof(want), "-I%s/usr/include", dest);
	ck_assert_str_eq(out, want);
	SH_OK(10, "%s pkg-config --libs baretpm", env);
	assert_has(out, "-lbaretpm");
	ck_assert_ptr_null(strstr(out, "mbedcrypto")); /* private: only for static linking */
	SH_OK(10, "%s pkg-config --static --libs baretpm", env);
	snprintf(want, sizeof(want), "-L%s/usr/%s -lbaretpm -lmbedcrypto -pthread", dest, libsub);
	assert_has(out, want);
	SH_OK(10, "PKG_CONFIG_LIBDIR='%s' pkg-config --variable=pkcs11dir baretpm", pc);
	chomp(out);
	snprintf(want, sizeof(want), "/usr/%s/pkcs11", libsub);
	ck_assert_str_eq(out, want);

	/* a program outside the tree: installed headers and library, pkg-config's flags only */
	snprintf(file, sizeof(file), "%s/user.c", base);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs(user_prog, f);
	ck_assert_int_eq(fclose(f), 0);
	SH_OK(120,
	      "cd '%s' && ${CC:-cc} -std=c11 -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow "
	      "-o user user.c $(%s pkg-config --cflags --static --libs baretpm)" SANITIZE,
	      base, env);
	SH_OK(30, "BARETPM_STORE='%s/nostore' BARETPM_TCTI=swtpm:host=127.0.0.1,port=9 '%s/user'",
	      base, base);
	ck_assert_msg(!strncmp(out, "baretpm ", 8), "%s", out);
	assert_has(out, " |swtpm:host=127.0.0.1,port=9\n");

	/* uninstall takes back exactly what install put there */
	make("uninstall DESTDIR='%s' PREFIX=/usr", dest);
	tree(dest, got, sizeof(got));
	ck_assert_str_eq(got, "");
	snprintf(file, sizeof(file), "%s/usr/include/baretpm", dest);
	ck_assert_int_ne(access(file, F_OK), 0);
	btpm_test_rmtree(base, 60);
}
END_TEST

START_TEST(install_dirs)
{
	static char got[8192];
	char base[64], file[300], want[300];
	tmpdir(base, sizeof(base), "install");
	/* PREFIX defaults to /usr/local */
	make("install DESTDIR='%s/a'", base);
	snprintf(file, sizeof(file), "%s/a/usr/local/bin/baretpm", base);
	ck_assert_int_eq(access(file, X_OK), 0);
	snprintf(file, sizeof(file), "%s/a/usr/local/%s/pkcs11/libbaretpm_pkcs11.so", base, libsub);
	ck_assert_int_eq(access(file, R_OK), 0);
	make("uninstall DESTDIR='%s/a'", base);
	snprintf(file, sizeof(file), "%s/a", base);
	tree(file, got, sizeof(got));
	ck_assert_str_eq(got, "");

	/* every directory can be moved on its own */
	make("install DESTDIR='%s/b' PREFIX=/opt/bt LIBDIR=/opt/bt/lib64 BINDIR=/opt/bt/sbin "
	     "INCLUDEDIR=/opt/bt/inc DATADIR=/opt/bt/data MANDIR=/opt/bt/man",
	     base);
	snprintf(file, sizeof(file), "%s/b/opt/bt/data/p11-kit/modules/baretpm.module", base);
	SH_OK(10, "cat '%s'", file);
	assert_has(out, "\nmodule: /opt/bt/lib64/pkcs11/libbaretpm_pkcs11.so\n");
	SH_OK(10, "PKG_CONFIG_LIBDIR='%s/b/opt/bt/lib64/pkgconfig' pkg-config --cflags --libs baretpm",
	      base);
	assert_has(out, "-I/opt/bt/inc");
	assert_has(out, "-L/opt/bt/lib64");
	snprintf(file, sizeof(file), "%s/b", base);
	tree(file, got, sizeof(got));
	assert_has(got, "755 opt/bt/sbin/baretpm\n");
	assert_has(got, "644 opt/bt/inc/baretpm/baretpm.h\n");
	char man[8][64];
	if (man_pages("1", man, 8)) {
		snprintf(want, sizeof(want), "644 opt/bt/man/man1/%s\n", man[0]);
		assert_has(got, want);
	}
	make("uninstall DESTDIR='%s/b' PREFIX=/opt/bt LIBDIR=/opt/bt/lib64 BINDIR=/opt/bt/sbin "
	     "INCLUDEDIR=/opt/bt/inc DATADIR=/opt/bt/data MANDIR=/opt/bt/man",
	     base);
	tree(file, got, sizeof(got));
	ck_assert_str_eq(got, "");
	btpm_test_rmtree(base, 60);
}
END_TEST

/* ---- symbols and dependencies -------------------------------------------------------------- */

START_TEST(module_exports)
{
	char mod[600], lib[600];
	built(mod, sizeof(mod), "libbaretpm_pkcs11.so");
	built(lib, sizeof(lib), "libbaretpm.a");
	SH_OK(30, "nm -D --defined-only '%s' | awk '{print $NF}' | LC_ALL=C sort | tr '\\n' ' '",
	      mod);
	ck_assert_str_eq(out, "C_GetFunctionList C_GetInterface C_GetInterfaceList ");

	/*
	 * dynamic dependencies: libc only, mbedTLS being linked in (the default
	 * build, `make check` says so in BTPM_MODULE_MBEDTLS=static); with
	 * MBEDTLS_SHARED=1 also libmbedcrypto.so
	 */
	const char *how = getenv("BTPM_MODULE_MBEDTLS");
	int shared_ok = !how || strcmp(how, "static");
	SH_OK(30, "readelf -d '%s' | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'", mod);
	int libc = 0;
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "libc.so.", 8)) {
			libc = 1;
			continue;
		}
		int ok = shared_ok && !strncmp(line, "libmbedcrypto.so.", 17);
#if defined(__SANITIZE_ADDRESS__)
		ok = ok || !strncmp(line, "libasan.so", 10) || !strncmp(line, "libubsan.so", 11);
#endif
		ck_assert_msg(ok, "the module needs %s", line);
	}
	ck_assert_msg(libc, "the module does not name libc");
	if (!shared_ok) { /* its mbedTLS is its own: nothing for another mbedTLS to satisfy */
		SH_OK(30, "nm -D --undefined-only '%s' | grep -c ' mbedtls_' || true", mod);
		ck_assert_msg(atoi(out) == 0, "the module still imports %s mbedtls_ symbols", out);
	}

	/* the static library keeps the C_* names out (it can share a program with another module) */
	SH_OK(30, "nm -g --defined-only '%s' | awk 'NF == 3 {print $3}' | LC_ALL=C sort -u", lib);
	ck_assert_msg(strlen(out) > 0, "no symbols in %s", lib);
	for (char *name = strtok(out, "\n"); name; name = strtok(NULL, "\n")) {
		ck_assert_msg(strncmp(name, "C_", 2), "libbaretpm.a defines %s", name);
		/* and every other global is ours (compiler-made __ names aside) */
		ck_assert_msg(!strncmp(name, "btpm_", 5) || !strncmp(name, "__", 2),
			      "libbaretpm.a defines %s without the btpm_ prefix", name);
	}
}
END_TEST

/* ---- against a swtpm ----------------------------------------------------------------------- */

START_TEST(static_program)
{
#if defined(__SANITIZE_ADDRESS__)
	printf("static_program: skipped (the sanitizer runtimes cannot be linked -static)\n");
#else
	char prog[600], base[64];
	built(prog, sizeof(prog), "tests/static_sign");
	ck_assert_msg(access(prog, X_OK) == 0, "%s is not built (make %s/tests/static_sign)", prog,
		      build);
	SH_OK(30, "file -L '%s'", prog);
	assert_has(out, "statically linked");
	ck_assert_int_ne(sh(30, "ldd '%s'", prog), 0);
	ck_assert_msg(strstr(out, "not a dynamic executable") || strstr(err, "not a dynamic executable"),
		      "ldd says:\n%s%s", out, err);
	SH_OK(30, "readelf -d '%s' | grep -c NEEDED || true", prog);
	ck_assert_str_eq(out, "0\n");
	/* a store that does not exist yet: C_InitToken sets it up */
	tmpdir(base, sizeof(base), "static");
	SH_OK(120, "BARETPM_STORE='%s/store' BARETPM_TCTI='%s' '%s' static-test", base, sim.tcti, prog);
	ck_assert_str_eq(out, "static sign: verified\n");
	/* the token it made is there for the CLI too */
	SH_OK(60, "BARETPM_STORE='%s/store' BARETPM_TCTI='%s' '%s' listtokens", base, sim.tcti,
	      btpm_test_cli());
	assert_has(out, "label: static-test\n  user-pin: set\n  keys: 1\n");
	btpm_test_rmtree(base, 60);
#endif
}
END_TEST

START_TEST(p11kit_sees_token)
{
#if defined(__SANITIZE_ADDRESS__)
	printf("p11kit_sees_token: skipped (p11-kit cannot dlopen a module built with ASan)\n");
#else
	char base[64], dest[128], so[300], env[1600], as[128], want[400];
	tmpdir(base, sizeof(base), "p11kit");
	snprintf(dest, sizeof(dest), "%s/root", base);
	make("install DESTDIR='%s' PREFIX=/usr", dest);
	snprintf(so, sizeof(so), "%s/usr/%s/pkcs11/libbaretpm_pkcs11.so", dest, libsub);
	snprintf(env, sizeof(env), "HOME='%s/home' BARETPM_STORE='%s/store' BARETPM_TCTI='%s'", base,
		 base, sim.tcti);
	SH_OK(60, "%s '%s' init", env, btpm_test_cli());
	SH_OK(60, "%s '%s' addtoken --label=p11kit-test --sopin=5678 --userpin=1234", env,
	      btpm_test_cli());
	/*
	 * The installed module file, as a user configuration (~/.config/pkcs11/modules) whose
	 * module: is the module installed into DESTDIR.
	 */
	SH_OK(10,
	      "mkdir -p '%s/home/.config/pkcs11/modules' && "
	      "sed 's|^module: |module: %s|' '%s/usr/share/p11-kit/modules/baretpm.module' "
	      "> '%s/home/.config/pkcs11/modules/baretpm.module'",
	      base, dest, dest, base);
	/* p11-kit ignores user configuration in a process running as root, whatever pkcs11.conf says */
	as[0] = 0;
	if (getuid() == 0) {
		SH_OK(30, "chown -R " UNPRIVILEGED ":" UNPRIVILEGED " '%s' && chmod 0755 '%s'", base,
		      base);
		snprintf(as, sizeof(as),
			 "setpriv --reuid=" UNPRIVILEGED " --regid=" UNPRIVILEGED " --clear-groups");
	}
	SH_OK(60, "%s %s p11-kit list-modules", env, as);
	snprintf(want, sizeof(want), "baretpm: %s\n", so);
	assert_has(out, want);
	assert_has(out, "    token: p11kit-test\n");
	/* GnuTLS uses p11-kit's modules when no --provider is given */
	SH_OK(60, "%s %s p11tool --list-tokens", env, as);
	assert_has(out, "\tLabel: p11kit-test\n");
	snprintf(want, sizeof(want), "\tModule: %s\n", so);
	assert_has(out, want);
	/* and so does anything that loads p11-kit-proxy (NSS, pkcs11-tool, ...) */
	snprintf(want, sizeof(want), "/usr/%s/p11-kit-proxy.so", libsub);
	if (access(want, R_OK) == 0 && sh(5, "command -v pkcs11-tool") == 0) {
		SH_OK(60, "%s %s pkcs11-tool --module '%s' --list-slots", env, as, want);
		assert_has(out, "token label        : p11kit-test\n");
	} else {
		printf("p11kit_sees_token: no p11-kit-proxy.so or pkcs11-tool, proxy not checked\n");
	}
	btpm_test_rmtree(base, 60);
#endif
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tcase_create("install");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, install_layout);
	tcase_add_test(tc, install_dirs);
	suite_add_tcase(s, tc);
	tc = tcase_create("symbols");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, module_exports);
	suite_add_tcase(s, tc);
	tc = tcase_create("swtpm");
	btpm_test_sim_fixture(tc, &sim);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, static_program);
	tcase_add_test(tc, p11kit_sees_token);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	suite_init();
	return btpm_test_run(suite());
}
