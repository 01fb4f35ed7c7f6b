#!/usr/bin/env bash
# fk-test: static (needs no server)
# make install / make uninstall into a DESTDIR: the files land where the unit expects them,
# the unit's paths follow PREFIX and SYSCONFDIR, an operator's edited config survives a
# reinstall (the shipped one goes beside it as .dist), and uninstall keeps the config.
source "$(dirname "$0")/lib.sh"
dest=$T_WORK/root
make -s install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc >/dev/null
check_eq "make install exits 0" "$?" 0
for f in usr/bin/faker-kafkad etc/faker-kafka/faker-kafka.yaml etc/faker-kafka/rules.yaml \
    usr/lib/systemd/system/faker-kafka.service usr/share/man/man8/faker-kafkad.8 \
    usr/share/faker-kafka/custdq.yaml; do
    check "installed $f" test -s "$dest/$f"
done
check "the installed binary runs" "$dest/usr/bin/faker-kafkad" -V
check "the installed config and rules pass -t" "$dest/usr/bin/faker-kafkad" -t \
    -c "$dest/etc/faker-kafka/faker-kafka.yaml" -r "$dest/etc/faker-kafka/rules.yaml"
# The installed configuration is for production: no fake customers into the real topic, the
# consumer groups on. The demo's own configuration turns the generator on.
enabled() { # CONFIG SECTION: the effective <section>.enabled
    "$dest/usr/bin/faker-kafkad" --dump-config -c "$1" |
        /usr/bin/python3 -c "import sys, yaml; print(yaml.safe_load(sys.stdin)['$2']['enabled'])"
}
installed=$dest/etc/faker-kafka/faker-kafka.yaml
check_eq "the installed config has the generator off" "$(enabled "$installed" generator)" False
for g in dq mdm sandbox; do
    check_eq "the installed config runs $g" "$(enabled "$installed" $g)" True
done
check_eq "the demo config has the generator on" "$(enabled conf/demo.yaml generator)" True
check "the demo config passes -t" "$dest/usr/bin/faker-kafkad" -t -c conf/demo.yaml \
    -r rules/custdq.yaml
check "the unit runs the installed binary" grep -q "^ExecStart=/usr/bin/faker-kafkad -f" \
    "$dest/usr/lib/systemd/system/faker-kafka.service"

make -s install DESTDIR="$T_WORK/opt" PREFIX=/opt/fk SYSCONFDIR=/opt/fk/etc >/dev/null
check "PREFIX and SYSCONFDIR reach the unit" grep -q \
    "^ExecStart=/opt/fk/bin/faker-kafkad -f -c /opt/fk/etc/faker-kafka/faker-kafka.yaml" \
    "$T_WORK/opt/opt/fk/lib/systemd/system/faker-kafka.service"

echo "# edited by the operator" >>"$dest/etc/faker-kafka/faker-kafka.yaml"
make -s install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc >/dev/null
check "a reinstall keeps the operator's config" grep -q "edited by the operator" \
    "$dest/etc/faker-kafka/faker-kafka.yaml"
check "a reinstall puts the shipped config beside it" cmp -s conf/faker-kafka.yaml \
    "$dest/etc/faker-kafka/faker-kafka.yaml.dist"

make -s uninstall DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc >/dev/null
check "uninstall removes the binary" test ! -e "$dest/usr/bin/faker-kafkad"
check "uninstall removes the unit" test ! -e "$dest/usr/lib/systemd/system/faker-kafka.service"
check "uninstall keeps the configuration" test -e "$dest/etc/faker-kafka/faker-kafka.yaml"
finish
