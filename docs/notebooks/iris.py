# %% [markdown]
# # Training on iris
#
# Stub: $z = a W^T + b$.

# %%
import backprop as bp
X, y = bp.load_iris()
X.shape
