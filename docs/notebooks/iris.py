# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Training on iris
#
# The chapters derived the gradients of the 4-5-3 network mostly for one flower at a time ([batches](../../batches/)
# gives the form for many); here it learns to tell the three iris species apart. This notebook runs at every build
# (and as a script): each number comes from the current code.
#
# ## The data
#
# Anderson's iris measurements, made famous by Fisher, ship inside the package: 150 flowers, 50 of each species, by
# sepal length and width and petal length and width in centimetres. A stratified split keeps 35 flowers of each
# species for training and 15 for testing.

# %%
import math

import numpy as np

import backprop_derived as bp

X, y = bp.load_iris()
X_train, X_test, y_train, y_test = bp.train_test_split(X, y, test_fraction=0.3, seed=0)
print("training:", X_train.shape, "per species:", np.bincount(y_train))
print("test:    ", X_test.shape, "per species:", np.bincount(y_test))
assert X.shape == (150, 4) and list(np.bincount(y)) == [50, 50, 50]
assert list(np.bincount(y_train)) == [35, 35, 35] and list(np.bincount(y_test)) == [15, 15, 15]

# %% [markdown]
# The measurements have different scales, so each column is centred and scaled by the **training** set's mean and
# standard deviation, and the test set with the same numbers, so nothing about it leaks into training. (The notation
# page's [running example](../../notation/#the-running-example) standardises with all 150 flowers' statistics, so its
# inputs differ slightly.)

# %%
X_train_s, X_test_s = bp.standardize(X_train, X_test)
Y_train, Y_test = bp.one_hot(y_train, 3), bp.one_hot(y_test, 3)
print("training means after scaling:", np.round(X_train_s.mean(axis=0), 12) + 0.0)

# %% [markdown]
# ## The network, and a gradient check before training
#
# The network of the [forward pass](../../forward-pass/): $\mathbf{z}_1 = \mathbf{x} W_1^T + \mathbf{b}_1$ with $W_1$
# of shape $5 \times 4$ and a ReLU, then $\mathbf{z}_2 = \mathbf{a}_1 W_2^T + \mathbf{b}_2$ with $W_2$ of shape $3
# \times 5$ and a softmax. The cost is the mean cross-entropy over a batch, $C = -\frac{1}{m}\sum_{r}\sum_k y_k^{(r)}
# \log a_k^{(r)}$.
#
# Before trusting the gradients to train with, compare them with central differences ([checking
# gradients](../../gradient-checking/#threshold)): the relative error of each parameter array, $\lVert g - n \rVert /
# (\lVert g \rVert + \lVert n \rVert)$, must stay below `bp.GRADIENT_CHECK_TOLERANCE` ($10^{-7}$); CS231n's bands
# are for a per-entry ratio. A pass at the initial weights need not carry over to trained ones:
# [CS231n's notes](https://cs231n.github.io/neural-networks-3/#gradcheck) warn that a random initialisation can be a
# pathological point that masks a wrong gradient, and advise a check "after the loss starts to go down", after "a short
# burn-in time"; this notebook checks again after 10 epochs (of a twin, below) and after 200. On the standardised inputs
# `bp.dead_units` finds no hidden neuron that is off for every training flower; on the raw inputs neurons 3 and 4 are
# off for them and all 150 flowers (as in [the cost chapter](../../cost/#dead-neurons)): their weights get no gradient.

# %%
net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
check = bp.gradient_check(net, X_train_s, Y_train)
print(f"largest relative error of the backpropagated gradients: {check:.1e}")
assert bp.GRADIENT_CHECK_TOLERANCE == 1e-7 and check < bp.GRADIENT_CHECK_TOLERANCE
dead_standardised = bp.dead_units(net, X_train_s)[0]
dead_raw, dead_all = bp.dead_units(net, X_train)[0], bp.dead_units(net, X)[0]  # 105 training flowers; all 150
print(f"dead hidden units: {dead_standardised.sum()} on standardised inputs, {dead_raw.sum()} on raw inputs")
assert dead_standardised.sum() == 0 and list(np.flatnonzero(dead_raw) + 1) == [3, 4]  # neurons 3, 4
assert list(np.flatnonzero(dead_all) + 1) == [3, 4]  # and over all 150 flowers, as on the cost chapter

# %% [markdown]
# ## Mini-batch gradient descent
#
# Each epoch shuffles the 105 training flowers and walks through them 16 at a time: six batches of 16 and a last batch
# of the 9 left over. For each batch the backward pass computes $\Delta_2 = \frac{1}{m}(A_2 - Y)$, $\Delta_1 =
# (\Delta_2 W_2) * [Z_1 > 0]$, $\partial C / \partial W_l = \Delta_l^T A_{l-1}$ and $\partial C / \partial
# \mathbf{b}_l = \mathbf{1}^T \Delta_l$ ([batches](../../batches/)), and steps each parameter by $-\eta$ times its
# gradient, $\eta = 0.1$. A batch's cost is the mean over its rows, so in the last step each flower weighs 16/9 times as
# much as in a full batch (each shuffle changes its flowers). The cell records the batches a network copy's
# `gradients` receives over two epochs and measures a flower's weight $c$: the least-squares scale from the sum of the
# flowers' own gradients (by backpropagation, no $1/m$) to the batch gradient by central differences. One $c$ fits
# every entry: $1/m$.
# %%
probe = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
batches = []  # (X, Y) of every batch the trainer hands to the backward pass
backward = probe.gradients


def recording(X_batch, Y_batch):
    batches.append((X_batch, Y_batch))
    return backward(X_batch, Y_batch)


probe.gradients = recording
_ = bp.train(probe, X_train_s, Y_train, epochs=2, learning_rate=0.1, batch_size=16, seed=0)
sizes = [len(X_batch) for X_batch, _ in batches]
print(f"batch sizes in the first epoch: {sizes[:7]}")
assert sizes == 2 * ([16] * 6 + [9])
seen = np.concatenate([X_batch for X_batch, _ in batches[:7]])
assert sorted(map(tuple, seen)) == sorted(map(tuple, X_train_s))  # every flower once, none dropped or padded
last_1, last_2 = (set(map(tuple, batches[k][0])) for k in (6, 13))
print(f"the last batches of epochs 1 and 2 share {len(last_1 & last_2)} of their 9 flowers")
assert len(last_1 & last_2) < 9  # reshuffled: other flowers in the last batch


def flower_weight(X_batch, Y_batch):
    """c with (batch gradient by central differences) = c * (sum of the flowers' own gradients)."""
    numeric = np.concatenate([g.ravel() for pair in bp.numerical_gradients(probe, X_batch, Y_batch) for g in pair])
    own = [backward(X_batch[r : r + 1], Y_batch[r : r + 1]) for r in range(len(X_batch))]  # one flower each
    summed = np.concatenate([sum(g[layer][part] for g in own).ravel() for layer in (0, 1) for part in (0, 1)])
    c = summed @ numeric / (summed @ summed)
    np.testing.assert_allclose(c * summed, numeric, rtol=1e-6, atol=1e-9)  # one weight fits every entry
    return c


c_9, c_16 = flower_weight(*batches[13]), flower_weight(*batches[7])
print(f"a flower's weight: 1/{1 / c_9:.3f} in the last batch, 1/{1 / c_16:.3f} in a full one; ratio {c_9 / c_16:.2f}")
assert round(1 / c_9, 3) == 9 and round(1 / c_16, 3) == 16 and round(c_9 / c_16, 2) == 1.78  # 16/9
test = (X_test_s, Y_test)
history = bp.train(
    net, X_train_s, Y_train, epochs=200, learning_rate=0.1, batch_size=16, seed=0, test=test, print_every=25
)

# %% [markdown]
# ## Learning curves
#
# The cost falls and then flattens: in the log above from 0.1503 at epoch 25 to 0.0852 at 50, then by under
# 0.01 over the last 100 epochs (0.0572 at 100, 0.0482 at 200). Training ends at 0.981 accuracy (103 of 105
# flowers). The test set is all right at epochs 20 to 45 and 49 to 52, then at 11 scattered epochs (the last 193), and
# ends at 0.956 (43 of 45). The test cost falls overall, rising at two of seven logged steps (100 to 125 and 175
# to 200), from 0.1369 at epoch 25 to 0.0657 at 200. It ends lower at 200 than at 50 (0.0894) while two test flowers
# turn wrong: it scores every probability, the accuracy only the argmax.
#
# Neither cost falls smoothly: from one epoch to the next the test cost rises at 75 of the 199 steps, the training cost
# (falling at every logged step) at 34. 1400 full-batch steps (as many updates, same start and rate) raise neither
# cost at any step and end at a training cost of 0.0480 and a test cost within 0.0001 of the mini-batch run's. Full
# batch removes both the sampling of batches and the last batch's 16/9 weight; this run cannot separate them.
# The test cost's lowest, 0.0619 at epoch 176, is less than 0.004 below its final value: on 45 flowers, too small a
# gap to tell a late upturn (the sign of overfitting) from these fluctuations.

# %%
test_acc = np.array(history.test_accuracy)
loss = np.round(history.loss, 4)  # epoch e is index e - 1
assert (loss[24], loss[49], loss[99], loss[199]) == (0.1503, 0.0852, 0.0572, 0.0482)
assert history.loss[99] - history.loss[199] < 0.01 < history.loss[24] - history.loss[49]  # flattens
right = np.rint(test_acc * 45).astype(int)  # test flowers right; epoch e is index e - 1
assert np.allclose(right / 45, test_acc, rtol=0, atol=1e-12) and right[199] == 43 and round(test_acc[-1], 3) == 0.956
all_right = (np.flatnonzero(right == 45) + 1).tolist()  # epochs with all 45 right: 20-45, 49-52, 11 more, last 193
assert all_right[:30] == [*range(20, 46), *range(49, 53)] and all_right[30] > 53 and all_right[40:] == [193]
test_loss = np.round(history.test_loss, 4)[24::25]  # epochs 25, 50, ..., 200
assert tuple(test_loss) == (0.1369, 0.0894, 0.0772, 0.0734, 0.0763, 0.0705, 0.0626, 0.0657)
assert (np.flatnonzero(np.diff(history.test_loss[24::25]) > 0) + 1).tolist() == [4, 7]  # steps 4 and 7 of 7
assert np.all(np.diff(history.loss[24::25]) < 0) and int(np.sum(np.diff(history.loss) > 0)) == 34  # 7 logged; 34/199
full = bp.train(
    bp.Network([4, 5, 3], seed=0), X_train_s, Y_train, epochs=1400, learning_rate=0.1, batch_size=105, test=test
)
assert max(max(np.diff(full.loss)), max(np.diff(full.test_loss))) <= 0 and round(full.loss[-1], 4) == 0.0480  # 0 rises
print(f"full batch, 1400 steps: test cost {full.test_loss[-1]:.4f}; mini-batch: {history.test_loss[-1]:.4f}")
assert abs(full.test_loss[-1] - history.test_loss[-1]) < 1e-4 and round(full.test_loss[-1], 4) == 0.0657
lowest = int(np.argmin(history.test_loss))
assert (lowest + 1, round(history.test_loss[lowest], 4)) == (176, 0.0619)  # lowest at epoch 176
assert 0 < history.test_loss[-1] - history.test_loss[lowest] < 0.004  # less than 0.004 below the final value
assert int(np.sum(np.diff(history.test_loss) > 0)) == 75 and len(history.test_loss) == 200  # 75 of 199 steps rise
print(f"test cost: lowest {history.test_loss[lowest]:.4f} at epoch {lowest + 1}, final {history.test_loss[-1]:.4f}")
assert abs(history.accuracy[-1] - 103 / 105) < 1e-12 and round(history.accuracy[-1], 3) == 0.981
check_trained = bp.gradient_check(net, X_train_s, Y_train)
print(f"after 200 epochs, largest relative error of the backpropagated gradients: {check_trained:.1e}")
assert check_trained < bp.GRADIENT_CHECK_TOLERANCE
bp.plots.plot_history(history, title="The 4-5-3 network on iris: cost and accuracy per epoch")

# %% [markdown]
# ## What the diagnostics show during training
#
# `bp.gradient_norms` measures the norm of each layer's weight gradient on the whole training set. A twin of the network
# (same initial weights), trained one epoch at a time with the same rate and batch size but its own shuffles, is
# measured before epochs 1, 10, 50 and 200. Both norms shrink as the cost flattens, each over tenfold. Their ratio (last
# column) moves from 0.36 at the initial weights through 0.70 to near 1 (0.98 before epoch 50, 1.11 before 200). The
# norms are over 20 and 15 entries, and vanishing gradients are a matter of depth, which two layers lack: see
# [vanishing gradients](../../beyond/vanishing/) for a deep case. After 10 epochs, the cost down from 0.90 after the
# first to 0.30, the block checks this twin's gradients again.

# %%
diag_net = bp.Network([4, 5, 3], hidden="relu", output="softmax", seed=0)
norms, cost = {}, []
for epoch in range(1, 201):
    if epoch in (1, 10, 50, 200):
        norms[epoch] = bp.gradient_norms(diag_net, X_train_s, Y_train)
    cost += bp.train(diag_net, X_train_s, Y_train, epochs=1, learning_rate=0.1, batch_size=16, seed=epoch).loss
    if epoch == 10:  # after CS231n's burn-in: the cost has started to fall
        check_10 = bp.gradient_check(diag_net, X_train_s, Y_train)

for epoch, (n1, n2) in norms.items():
    print(f"before epoch {epoch:3d}: ||dC/dW_1|| = {n1:.3f}, ||dC/dW_2|| = {n2:.3f}, ratio {n1 / n2:.2f}")

print(f"after 10 epochs (cost {cost[0]:.2f} to {cost[9]:.2f}), largest relative error: {check_10:.1e}")
assert check_10 < bp.GRADIENT_CHECK_TOLERANCE and (round(cost[0], 2), round(cost[9], 2)) == (0.90, 0.30)
assert np.all(norms[200] < norms[1] / 10)
assert [round(n1 / n2, 2) for n1, n2 in norms.values()] == [0.36, 0.70, 0.98, 1.11]  # the ratios above

# %% [markdown]
# ## Where the errors are
#
# The confusion matrix counts, for each true species (rows), how the 45 test flowers were classified (columns). The
# two mistakes are versicolor taken for virginica; none involves setosa. That fits the data: in all 150 flowers,
# versicolor's and virginica's ranges overlap on all four measurements, while setosa's petal length and width lie
# wholly below the other two species'.

# %%
y_pred = net.predict(X_test_s)
confusion = bp.confusion_matrix(y_test, y_pred, 3)
print(confusion)
assert confusion[0, 0] == 15 and confusion[0, 1:].sum() == confusion[1:, 0].sum() == 0  # setosa: none either way
assert confusion[1, 2] == 2 and np.trace(confusion) == 43  # the two mistakes: versicolor as virginica
low, high = (np.array([f(X[y == k], axis=0) for k in range(3)]) for f in (np.min, np.max))  # (species, measurement)
assert np.all(high[1] > low[2]) and np.all(high[2] > low[1])  # versicolor and virginica overlap on all four
assert np.all(high[0, 2:] < low[1:, 2:])  # setosa's petals: below both other species
bp.plots.plot_confusion(confusion, title="Test set: true species against predicted species")

# %% [markdown]
# ## What the network has learned, in two dimensions
#
# Four inputs cannot be drawn, so a second network, 2-5-3, is trained on the two petal measurements only. Coloured
# regions show the species it predicts at every point of the plane, the dots are the 150 flowers (some on top of others)
# and a red ring marks each one it gets wrong. Each boundary is piecewise linear: between the lines where a hidden ReLU
# switches ($z_j^{[1]} = 0$) the output layer's pre-activations are affine in the point, so a boundary (where
# $z_i^{[2]} = z_k^{[2]}$ and classes $i$, $k$ lead) bends only at those lines.

# %%
petal = [2, 3]
P_train, P_test = bp.standardize(X_train[:, petal], X_test[:, petal])
mean, std = X_train[:, petal].mean(axis=0), X_train[:, petal].std(axis=0)  # for the plot's transform
np.testing.assert_allclose((X_train[:, petal] - mean) / std, P_train, rtol=0, atol=1e-12)  # = standardize's
petal_net = bp.Network([2, 5, 3], hidden="relu", output="softmax", seed=0)
_ = bp.train(petal_net, P_train, Y_train, epochs=200, learning_rate=0.1, batch_size=16, seed=0)
petal_accuracy = bp.accuracy(y_test, petal_net.predict(P_test))
petal_train = bp.accuracy(y_train, petal_net.predict(P_train))
four_train = bp.accuracy(y_train, net.predict(X_train_s))
wrong = round((1 - petal_train) * len(y_train))
print(f"petals: test {petal_accuracy:.3f}, training {petal_train:.3f} ({wrong} of 105 wrong); four: {four_train:.3f}")
title = "2-5-3 network on the petals: predicted species"  # the axes: the default, petal length and width
fig = bp.plots.plot_decision_regions(petal_net, X[:, petal], y, transform=lambda P: (P - mean) / std, title=title)
fig  # noqa: B018  (the cell's last expression: the notebook shows the figure)

# %% [markdown]
# The petal-only network gets every test flower right, two flowers (0.044) above the four-feature network's 0.956; on
# the training flowers of the same split the ranking reverses (0.943, 6 of 105 wrong, against 0.981). On all 150
# flowers (the confusion matrix below) it separates setosa completely and misclassifies 6, 3 each way between
# versicolor and virginica, whose petal ranges overlap. The plot rings all six (asserted from the drawn rings), but
# one ring seems to sit on a virginica: the 150 flowers occupy only 102 distinct petal points, and (4.8 cm, 1.8 cm)
# holds versicolor row 70 under virginica rows 126 and 138 (counted from 0; UCI's table counts from 1 and differs
# from the package's at samples 35 and 38). One input, two labels: any petal-only classifier gets at least one of
# the three wrong.
#
# Two flowers of 45 cannot rank the networks. On ten other stratified splits (seeds 1 to 10), the four features score at
# least as well every time and better on 7, by one flower each: with split 0, 7 wins, 3 ties and 1 loss (by two), a mean
# of 0.45 flower (0.010 of accuracy). Weak, inconclusive evidence that the four features do slightly better: the
# two-sided sign test (ties dropped) gives p = 0.07 but assumes independent samples, and all 11 splits resample the same
# 150 flowers: two training sets share 72.8 of 105 on average and two test sets 12.8 of 45 (73.5 and 13.5 for
# independent stratified draws), so the splits' results are correlated: the sign test settles nothing. Each network was
# trained once per split (seed 0); on split 0, initial weights from seeds 0 to 9 give the four features 43 right each
# time and the petals 45 (44 once): there the petals lead at every seed.

# %%
assert petal_accuracy == 1.0 and petal_train < four_train
assert round(petal_train, 3) == 0.943 and wrong == 6 and len(y_train) == 105 and round(four_train, 3) == 0.981
petal_all = petal_net.predict((X[:, petal] - mean) / std)  # all 150, as on the plot
assert np.array_equal(petal_all == 0, y == 0)  # setosa separated completely
four_feature_accuracy = bp.accuracy(y_test, net.predict(X_test_s))
assert round(four_feature_accuracy, 3) == 0.956 and round(petal_accuracy - four_feature_accuracy, 3) == 0.044  # 2 of 45
petal_confusion = bp.confusion_matrix(y, petal_all, 3)
print("petal network on all 150 flowers (rows: true species):")
print(petal_confusion)
assert petal_confusion[1, 2] == 3 and petal_confusion[2, 1] == 3 and np.trace(petal_confusion) == 144
points, where = np.unique(X[:, petal], axis=0, return_inverse=True)
mixed = [np.flatnonzero(where.ravel() == k) for k in range(len(points)) if len(set(y[where.ravel() == k])) > 1]
assert len(points) == 102 and len(mixed) == 1 and list(mixed[0]) == [70, 126, 138]  # one point, two species
assert X[70, 2:].tolist() == [4.8, 1.8] and list(y[mixed[0]]) == [1, 2, 2] and petal_all[70] != y[70]
assert np.array_equal(fig.axes[0].collections[-1].get_offsets(), X[petal_all != y][:, petal])  # the rings drawn
assert [[4.8, 1.8] in c.get_offsets().tolist() for c in fig.axes[0].collections[1:4]] == [0, 1, 1]  # virginica last

right = []  # per split: flowers right of 45 (four features, petals)
for split in range(1, 11):
    Xa, Xb, ya, yb = bp.train_test_split(X, y, test_fraction=0.3, seed=split)
    pair = []
    for columns in ([0, 1, 2, 3], petal):
        A, B = bp.standardize(Xa[:, columns], Xb[:, columns])
        model = bp.Network([len(columns), 5, 3], seed=0)
        _ = bp.train(model, A, bp.one_hot(ya, 3), epochs=200, learning_rate=0.1, batch_size=16, seed=0)
        pair.append(int(np.sum(model.predict(B) == yb)))
    right.append(tuple(pair))

print("test flowers right of 45 on splits 1 to 10 (four features, petals):", right)
assert all(four >= petals for four, petals in right) and sum(four > petals for four, petals in right) == 7
assert all(four - petals <= 1 for four, petals in right)  # by one flower each time
split_0 = (round(four_feature_accuracy * len(y_test)), round(petal_accuracy * len(y_test)))  # (43, 45)
signs = [int(np.sign(f - p)) for f, p in [split_0] + right]
record = [signs.count(1), signs.count(0), signs.count(-1)]
print("11 splits, four features against petals alone: wins, ties, losses", record)
assert record == [7, 3, 1]
numbered = np.column_stack([X, np.arange(len(X))])  # a last column carries each flower's row number
test_sets = [set(bp.train_test_split(numbered, y, test_fraction=0.3, seed=s)[1][:, -1]) for s in range(11)]
shared = [len(test_sets[i] & test_sets[j]) for i in range(11) for j in range(i + 1, 11)]  # splits 0 to 10
train_sets = [set(range(150)) - t for t in test_sets]
shared_train = [len(train_sets[i] & train_sets[j]) for i in range(11) for j in range(i + 1, 11)]
print(f"shared by two splits on average: {np.mean(shared_train):.1f} of 105 training, {np.mean(shared):.1f} of 45 test")
assert len(shared) == 55 and (round(np.mean(shared), 1), round(np.mean(shared_train), 1)) == (12.8, 72.8)
ns = [(np.sum(y_test == k), np.sum(y_train == k), np.sum(y == k)) for k in range(3)]  # per species: test, train, all
assert [sum(n[i] ** 2 / n[2] for n in ns) for i in (0, 1)] == [13.5, 73.5]  # independent draws' mean overlaps

d = np.array([f - p for f, p in [split_0] + right], dtype=float)  # four features minus petals, in flowers
assert np.array_equal(np.unique(d, return_counts=True), [[-2, 0, 1], [1, 3, 7]])  # three values only
sign_p = 2 * sum(math.comb(8, k) for k in (7, 8)) / 2**8  # sign test: 7 wins, 1 loss, ties dropped
print(f"mean {d.mean():.2f} flower ({d.mean() / 45:.3f} of accuracy); sign test p {sign_p:.2f}")
assert (len(y_test), round(d.mean(), 2), round(d.mean() / 45, 3), round(sign_p, 2)) == (45, 0.45, 0.010, 0.07)

by_seed = []  # split 0, seeds 0 to 9: test flowers right (four features, petals, ...)
for s in range(10):
    for A, B in [(X_train_s, X_test_s), (P_train, P_test)]:
        model = bp.Network([A.shape[1], 5, 3], seed=s)
        _ = bp.train(model, A, Y_train, epochs=200, learning_rate=0.1, batch_size=16, seed=0)
        by_seed.append(int(np.sum(model.predict(B) == y_test)))

assert by_seed[::2] == [43] * 10 and sorted(by_seed[1::2]) == [44] + [45] * 9  # petals ahead at every seed

# %% [markdown]
# ## The result

# %%
test_accuracy = bp.accuracy(y_test, net.predict(X_test_s))
right_test = round(test_accuracy * len(y_test))
print(f"final test accuracy of the 4-5-3 network: {test_accuracy:.3f} ({right_test} of {len(y_test)} flowers)")
assert right_test == 43
