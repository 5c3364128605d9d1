"""The build script of the shipped dataset; not used at run time.

``python -m geodata.build.liaoning --raw ../shared/data/raw`` (``make data``) rebuilds
``geodata/datasets/liaoning`` from the shared raw files. One module per build step:
`~geodata.build.admin` (province, cities, counties, seats), `~geodata.build.townships`
(township seats), `~geodata.build.fill` (synthetic seats), `~geodata.build.population`
(census split), `~geodata.build.facilities` (proxies and real hospitals),
`~geodata.build.provenance` (``PROVENANCE.md``), with `~geodata.build.names` and
`~geodata.build.common` shared by all; `~geodata.build.liaoning` runs them in order.

Nothing outside this package imports it: the planning code reads the built files through
`geodata.load_dataset`. The modules have no leading underscore because the package itself is
the boundary.
"""
