namespace Pluralistic.Models.BradleyTerry;

/// <summary>Adds the Bradley-Terry baseline to <see cref="ModelCatalog"/>.</summary>
public static class BradleyTerryCatalogExtensions
{
    /// <summary>A Bradley-Terry trainer; the context's seed, device and threads apply unless the options set them.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="options">Options, or <see langword="null"/> for defaults.</param>
    /// <returns>The trainer.</returns>
    public static BradleyTerryTrainer BradleyTerry(this ModelCatalog catalog, BradleyTerryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new BradleyTerryTrainer(CatalogDefaults.Apply(catalog.Context, options ?? new BradleyTerryOptions()));
    }
}
