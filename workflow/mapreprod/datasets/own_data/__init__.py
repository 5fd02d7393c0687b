"""Your own profiles, by config only (config section ``own_data``; docs/methods.md).

Each entry of ``own_data.datasets`` names profile files and maps their columns (perturbation,
plate, control query, annotation, features). The parts, as for every dataset:

- :mod:`.inputs`: the entry's mapping and preprocessing settings (:class:`~.inputs.OwnDataSpec`;
  its engine keys make the dataset's :class:`mapreprod.settings.MapSettings`), reading the files
  and mapping the columns, with errors that name the config key and the column;
- :mod:`.preprocess`: per-plate normalization, feature selection and sphering (pycytominer);
- :mod:`.activity`: replicates vs controls, sharded over perturbations, mAP after gathering;
- :mod:`.consistency`: consensus profiles retrieved by shared annotation (multilabel mAP);
- :mod:`.figures`: the paper's scatter + density figure per dataset;
- :mod:`.reproduction`: the short summary rows of results/reproduction.csv;
- :mod:`.standin`: the generated example screen (config/examples/own_data.yaml).
"""
