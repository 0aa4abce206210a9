"""cs231n_lib: the numpy library you build while working through the notebooks.

Each module follows one notebook:

* ``gradient_check`` and ``layers`` -- 00_gradients
* ``activations`` -- 01_activations
* ``preprocessing`` -- 02_preprocessing
* ``initializers`` -- 03_initialization
* ``normalization`` -- 04_normalization
* ``optim`` (all but ``sgd``), ``schedules`` and ``second_order`` -- 05_optimizers
* ``regularization`` and ``augmentation`` -- 06_regularization
* ``ensembles`` -- 07_ensembles
* ``tuning`` -- 08_babysitting

``data``, ``solver``, ``fc_net`` and ``plotting`` are provided code that the notebooks
build on, as are ``optim.sgd`` and ``second_order.line_search``; you do not need to
change them.
"""
